"""The dedup index decides exactly as it did before it was made compact and faster.

`benchmarks/compare_dedup.py` imports `matchers/dedup.py`, `postings.py` and `storymatch.py` as
they were at REF beside the current ones and feeds both the same stream (variants of the corpus
texts, edited copies, re-posted URLs, undated pages, a rebuild half-way): every decision must be
equal, and every score to within 1e-12 (sums taken in another order move a last bit).
REF is the last revision whose decisions were meant; move it when a change of decisions is.
Skipped without the git history.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REF = "b5af533"


def _have_ref() -> bool:
    if shutil.which("git") is None:
        return False
    probe = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{REF}^{{commit}}"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _have_ref(), reason="needs the git history")
def test_checks_answer_as_the_former_index(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the reference's folder goes away after
    from benchmarks.compare_dedup import compare_stream, reference

    compared, joined, diffs = compare_stream(reference(REF, tmp_path), 300)
    assert compared == 1200 and joined > 20  # stories are exercised, not only copies
    assert diffs == []


def test_a_changed_decision_or_score_is_a_difference() -> None:
    from benchmarks.compare_dedup import _differ
    from matchers.dedup import DedupResult

    base = DedupResult(None, "s1", 0.1, 0.6, "same story as s1: rebels")
    assert not _differ(base, DedupResult(None, "s1", 0.1, 0.6 + 1e-16, base.reason))
    assert _differ(base, DedupResult(None, "s1", 0.1, 0.6 + 1e-9, base.reason))
    assert _differ(base, DedupResult(None, "s2", 0.1, 0.6, base.reason))
    assert _differ(base, DedupResult(None, "s1", 0.1, 0.6, "same story as s1: spokesman"))
