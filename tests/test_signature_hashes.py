"""A signature's shingles come from remembered per-run word hashes; these tests hold them to the
plain computation: crc32 of each of `words(text)`, mixed into 3-shingles, sorted, distinct."""

from __future__ import annotations

import random
import zlib

import numpy as np
import pytest

from matchers import signature


def _reference_shingles(text: str) -> list[int]:
    tokens = signature.words(text)
    if not tokens:
        return []
    w = np.array([zlib.crc32(t.encode("utf-8")) for t in tokens], dtype=np.uint64)
    if len(w) < 3:
        w = np.concatenate([w, np.zeros(3 - len(w), dtype=np.uint64)])
    h = w[:-2] * signature._MIX[0] + w[1:-1] * signature._MIX[1] + w[2:] * signature._MIX[2]
    h ^= h >> np.uint64(31)
    h *= signature._MIX[2]
    h ^= h >> np.uint64(29)
    return np.unique((h >> np.uint64(32)).astype(np.uint32)).tolist()


def test_shingles_are_those_of_the_words_crc32_also_after_the_memory_is_forgotten(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signature, "_CHUNK_HASHES_MAX", 50)
    signature._CHUNK_HASHES.clear()  # (other tests may have filled it)
    rnd = random.Random(13)
    alphabet = "abcABאбвتنف \u0130\u00df12<>[]\n\t"
    for _ in range(400):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 120)))
        sig = signature.signature(text, terms=False)
        assert sig.hashes.tolist() == _reference_shingles(text), repr(text)
        assert sig.n_words == len(signature.words(text))
        assert len(signature._CHUNK_HASHES) <= 50 + 120


def test_a_runs_remembered_hashes_are_its_words_crc32() -> None:
    text = "theAl-Tanf garrison, 55km [2] <b>zone</b> التنف"
    signature.signature(text)
    for chunk in signature._chunks(text):
        got = np.frombuffer(signature._CHUNK_HASHES[chunk], dtype="<u4").tolist()
        words = signature._WORD_RE.findall(signature._normalise(chunk))
        assert got == [zlib.crc32(w.encode()) for w in words]
    assert signature._word_hashes(text).tolist() == [
        zlib.crc32(w.encode()) for w in signature.words(text)]


def test_sample_sizes_count_what_each_level_keeps() -> None:
    rng = np.random.default_rng(7)
    for n in (0, 1, 17, 800):
        hashes = np.sort(rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32))
        hashes[: n // 4] &= np.uint32(~0xFF & 0xFFFFFFFF)  # some with many low zero bits
        assert signature.sample_sizes(hashes) == [len(signature.sample(hashes, k))
                                                  for k in range(signature.MAX_LEVEL + 1)]
