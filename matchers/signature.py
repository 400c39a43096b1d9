"""An article's signature: the shingle hashes and story terms dedup and stories work on.

Text is normalised before shingling so that what the web changes between copies does not count:
markup, case, width, accents and Arabic spelling variants, glued words ("theAl-Tanf") and wiki
citation marks ("[2]"). Shingles are word 3-grams hashed to 32 bits; `sample` keeps those with
k low zero bits (Broder's MOD-2^k), the same rule for every text, so samples of two texts
estimate containment either way. The signature is stored with the article (`to_bytes`), term
hashes included, so the index is rebuilt from the archive without re-reading texts.
"""

from __future__ import annotations

import html
import itertools
import math
import operator
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from matchers.arrays import sorted_unique
from matchers.stories import term_hash
from matchers.storyterms import story_terms

__all__ = ["MAX_LEVEL", "SAMPLE_TARGET", "Signature", "level", "sample", "sample_sizes",
           "signature", "words"]

SAMPLE_TARGET = 96  # samples kept per article in the index
MAX_LEVEL = 4  # keep at least 1/16 of the shingles of very long texts
_HEAD = struct.Struct("<2sB")  # magic, version
_FORMAT = struct.Struct("<2sBBqII")  # v1: + flags, published, n_words, n_shingles
_FORMAT2 = struct.Struct("<2sBBqIII")  # v2: + n_terms (their hashes follow the shingles)
_MAGIC = b"TS"
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
_TAG_RE = re.compile(r"<[^<>]{0,300}>")
# Glued words are split where lower case meets upper case, a letter a digit or a digit a letter.
# Each pattern starts with the character it consumes (upper case or digit, rare in prose), so the
# regex engine skips ahead to those instead of trying lookbehinds at every position (3x faster).
_GLUE_BEFORE_RE = re.compile(r"[A-Z\d](?<=[a-z][A-Z]|[^\W\d_]\d)")  # a space goes before it
_GLUE_AFTER_RE = re.compile(r"\d(?=[^\W\d_])")  # a space goes after it
_WORD_RE = re.compile(r"\w+")
_CITE_RE = re.compile(r"\[(?:\d{1,3}|[a-z]|citation needed|edit|note \d+)\]", re.IGNORECASE)
_MARK_RE = re.compile(r"[\u0300-\u036f\u064b-\u065f\u0670\u0640]")  # accents, harakat, tatweel
# after NFKD: alef maqsura, ta marbuta, Persian ya (str.replace: str.translate costs 100x more)
_FOLD = (("ى", "ي"), ("ة", "ه"), ("ی", "ي"))


def words(text: str) -> list[str]:
    """Words with markup, case, width, accents, glued words ("theAl-Tanf"), wiki citation
    marks ("[2]") and Arabic spelling variants (hamza seats, tatweel, harakat) removed."""
    return _WORD_RE.findall(_normalise("\n".join(_chunks(text))))


def _chunks(text: str) -> list[str]:
    """The text's runs of non-space characters, once markup and citation marks are gone."""
    return _CITE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", text))).split()


# Every step of `_normalise` changes a character by what is next to it inside a run of
# non-space characters at most, and keeps white space white: so each distinct run is normalised
# once (words recur) and its words' crc32 remembered (~9 MB when full, ~136 B a run), then forgotten
# at once when the memory is full.
_CHUNK_HASHES: dict[str, bytes] = {}  # a run's words' crc32, little-endian uint32
_CHUNK_HASHES_MAX = 65_536
_NONES = itertools.repeat(None)


def _normalise(text: str) -> str:
    text = _GLUE_AFTER_RE.sub(r"\g<0> ", _GLUE_BEFORE_RE.sub(r" \g<0>", text))
    text = unicodedata.normalize("NFKD", text)
    for old, new in _FOLD:
        text = text.replace(old, new)
    return _MARK_RE.sub("", text).casefold()


def _word_hashes(text: str) -> np.ndarray:
    """crc32 of each of `words(text)`, in order: the runs' remembered hashes joined in C, so no
    Python object is made per word, and each run is looked up once."""
    chunks = _chunks(text)
    known = _CHUNK_HASHES
    found = list(map(known.get, chunks))
    try:
        joined = b"".join(found)
    except TypeError:  # runs not yet remembered (None): the new ones go through the steps
        # together, one per line, and fill their places
        missing = list(itertools.compress(range(len(chunks)), map(operator.is_, found, _NONES)))
        new = list({chunks[i] for i in missing})
        if len(known) + len(new) > _CHUNK_HASHES_MAX:
            known.clear()
        for chunk, line in zip(new, _normalise("\n".join(new)).split("\n"), strict=True):
            tokens = _WORD_RE.findall(line)
            known[chunk] = struct.pack(f"<{len(tokens)}I",
                                       *(zlib.crc32(w.encode("utf-8")) for w in tokens))
        for i in missing:
            found[i] = known[chunks[i]]
        joined = b"".join(found)
    return np.frombuffer(joined, dtype="<u4").astype(np.uint64)


def _shingles(w: np.ndarray) -> np.ndarray:
    """Sorted unique 32-bit hashes of word 3-shingles, from the words' crc32 (mixed in numpy)."""
    if len(w) == 0:
        return np.zeros(0, dtype=np.uint32)
    if len(w) < 3:
        w = np.concatenate([w, np.zeros(3 - len(w), dtype=np.uint64)])
    h = w[:-2] * _MIX[0] + w[1:-1] * _MIX[1] + w[2:] * _MIX[2]
    h ^= h >> np.uint64(31)
    h *= _MIX[2]
    h ^= h >> np.uint64(29)
    return sorted_unique((h >> np.uint64(32)).astype(np.uint32))


def level(n_shingles: int) -> int:
    """Sampling level k (keep hashes with k low zero bits) giving ~SAMPLE_TARGET samples."""
    if n_shingles < 2 * SAMPLE_TARGET:
        return 0
    return min(MAX_LEVEL, int(math.log2(n_shingles / SAMPLE_TARGET)))


def sample(hashes: np.ndarray, k: int) -> np.ndarray:
    """The hashes with k low zero bits."""
    return hashes[(hashes & np.uint32((1 << k) - 1)) == 0]


# row k: which values of a hash's low MAX_LEVEL bits have k low zero bits
_KEPT_AT = np.array([[v & ((1 << k) - 1) == 0 for v in range(1 << MAX_LEVEL)]
                     for k in range(MAX_LEVEL + 1)], dtype=np.int64)


def sample_sizes(hashes: np.ndarray) -> list[int]:
    """`len(sample(hashes, k))` for each level k = 0..MAX_LEVEL, from one count of low bits."""
    low = np.bincount(hashes & np.uint32((1 << MAX_LEVEL) - 1), minlength=1 << MAX_LEVEL)
    return (_KEPT_AT @ low).tolist()


@dataclass(frozen=True)
class Signature:
    """Everything dedup and story grouping need, computed purely from the text."""

    shingles: bytes  # sorted unique uint32 (little-endian) hashes of word 3-shingles
    terms: tuple[str, ...]  # story terms, best first
    published: datetime | None = None
    n_words: int = 0
    term_keys: bytes = b""  # uint32 (little-endian) `term_hash` of each term, when computed

    @property
    def hashes(self) -> np.ndarray:
        return np.frombuffer(self.shingles, dtype="<u4")

    @property
    def term_hashes(self) -> np.ndarray:
        if len(self.term_keys) == 4 * len(self.terms):
            return np.frombuffer(self.term_keys, dtype="<u4")
        return np.array([term_hash(t) for t in self.terms], dtype="<u4")

    def to_bytes(self) -> bytes:
        flags = 1 if self.published is not None else 0
        stamp = int(self.published.timestamp()) if self.published is not None else 0
        head = _FORMAT2.pack(_MAGIC, 2, flags, stamp, self.n_words, len(self.shingles) // 4,
                             len(self.terms))
        return (head + self.shingles + self.term_hashes.tobytes()
                + "\x1f".join(self.terms).encode("utf-8"))

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """Read a stored signature (version 2, or version 1 without term hashes)."""
        magic, version = _HEAD.unpack_from(data)
        if magic != _MAGIC or version not in (1, 2):
            raise ValueError("not a tanfwatch signature (bad magic or version)")
        if version == 1:
            _, _, flags, stamp, n_words, n_sh = _FORMAT.unpack_from(data)
            n_terms, start = 0, _FORMAT.size
        else:
            _, _, flags, stamp, n_words, n_sh, n_terms = _FORMAT2.unpack_from(data)
            start = _FORMAT2.size
        end = start + 4 * n_sh
        text = data[end + 4 * n_terms:].decode("utf-8")
        published = datetime.fromtimestamp(stamp, UTC) if flags & 1 else None
        return cls(bytes(data[start:end]), tuple(text.split("\x1f")) if text else (), published,
                   n_words, bytes(data[end:end + 4 * n_terms]))


def signature(text: str, title: str = "", published: datetime | None = None, *,
              terms: bool = True) -> Signature:
    """Compute the signature of one article (title is used for story terms, not for copies).

    `terms=False` leaves the story terms out (they are most of the cost): an irrelevant article
    opens and joins no story, so only its shingles are ever looked at.
    """
    if published is not None and published.tzinfo is None:
        raise ValueError("published must be timezone-aware (UTC)")
    w = _word_hashes(text)
    hashes = _shingles(w).astype("<u4")
    terms = story_terms(text, title) if terms else ()
    keys = np.array([term_hash(t) for t in terms], dtype="<u4")
    return Signature(hashes.tobytes(), terms, published, len(w), keys.tobytes())


