"""The seed articles as a fresh archive records them, cached beside the archive.

Judging the five seeds costs ~50 ms at every fresh archive (the common-words list, the
gazetteer and the matcher's first passes). What they become depends only on the code and data
of `matchers` and `storage`, the seeds themselves, the libraries the matcher uses and the
config's topics and threshold: the cache is keyed by a hash of all of them, and it is used only
for an archive with no article yet (where each seed is judged against the seeds before it
only). A file that is unreadable, malformed or keyed otherwise is ignored and rewritten,
atomically (a temporary file renamed over it). The judge then reads the seeds back from the
archive, as at every later start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import unicodedata
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from matchers.dedup import Signature
from matchers.registry import TopicRegistry
from storage.archive import ArticleRecord, iso
from storage.seeds import load_seeds

__all__ = ["CACHE_NAME", "SeedCache", "cache_key", "read_seed_cache", "write_seed_cache"]

log = logging.getLogger(__name__)
CACHE_NAME = ".tanfwatch-seeds.json"  # in the archive's directory
_FORMAT = 1
_PACKAGES = ("matchers", "storage")  # whose code and data decide a seed's record
_LIBRARIES = ("tanfwatch", "numpy", "anyascii", "rapidfuzz", "pyahocorasick", "ahocorasick-rs")
# what is judged, as ArticleRecord fields; the rest comes from the seed files (and the clock)
_JUDGED = ("canonical_url", "relevant", "score", "topics", "match", "duplicate_of", "story",
           "signature")


@dataclass(frozen=True)
class SeedCache:
    """Where a fresh archive's seed records are kept, and the config's part in them: the
    threshold and topics in force (as given to `load_matcher`)."""

    path: Path
    config: tuple[float | None, TopicRegistry]


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def cache_key(config: tuple[float | None, TopicRegistry]) -> str:
    """A hash of everything the seeds' records depend on (`SeedCache.config` besides)."""
    h = hashlib.sha256(f"{_FORMAT}|{sys.version}|{unicodedata.unidata_version}".encode())
    for name in _LIBRARIES:
        h.update(f"|{name}={_version(name)}".encode())
    root = Path(__file__).resolve().parents[1]
    for package in _PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(f"|{path.relative_to(root).as_posix()}|".encode())
                h.update(path.read_bytes())
    h.update(repr(config).encode())
    return h.hexdigest()


def read_seed_cache(path: Path, key: str) -> list[ArticleRecord] | None:
    """The seeds' records (fetched_at unset) if the file holds them for ``key``, else None."""
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return _records(data["seeds"])
    except (OSError, ValueError, KeyError, TypeError) as exc:  # unreadable or malformed
        log.debug("seed cache %s not used: %s", path, exc)
        return None


def _records(judged: Any) -> list[ArticleRecord]:
    seeds = load_seeds()
    if not isinstance(judged, list) or [j.get("id") for j in judged] != [s.id for s in seeds]:
        raise ValueError("not the shipped seeds")
    out = []
    for seed, j in zip(seeds, judged, strict=True):
        fields = {k: j[k] for k in _JUDGED}
        for k in ("canonical_url", "duplicate_of", "story"):
            if not isinstance(fields[k], str | None):
                raise TypeError(f"{seed.id}.{k}")
        if not isinstance(fields["relevant"], bool) or not isinstance(fields["score"], float):
            raise TypeError(f"{seed.id}: relevant, score")
        if not isinstance(fields["match"], dict | None) or not all(
                isinstance(t, str) for t in fields["topics"]):
            raise TypeError(f"{seed.id}: match, topics")
        fields["topics"] = tuple(fields["topics"])
        fields["signature"] = bytes.fromhex(fields["signature"])
        Signature.from_bytes(fields["signature"])  # raises ValueError if it is not one
        out.append(ArticleRecord(id=seed.id, text=seed.text, title=seed.title, url=seed.url,
                                 outlet=seed.outlet, published=iso(seed.published),
                                 origin="seed", **fields))
    return out


def write_seed_cache(path: Path, key: str, records: list[ArticleRecord]) -> None:
    """Keep the records for the next fresh archive; a failure to write is only logged."""
    judged = [{"id": r.id, **{k: getattr(r, k) for k in _JUDGED}} for r in records]
    for j in judged:
        j["topics"] = list(j["topics"])
        j["signature"] = j["signature"].hex()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"key": key, "seeds": judged}, ensure_ascii=False), "utf-8")
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except OSError as exc:
        log.debug("seed cache %s not written: %s", path, exc)
        tmp.unlink(missing_ok=True)
