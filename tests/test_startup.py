"""`run --once` with no sources still migrates and seeds a fresh archive, and imports no feed
parser, extractor or HTTP client: those come with the first source that needs them
(benchmarks/bench_startup.py measures the time; a run with sources: tests/test_end_to_end.py)."""

from __future__ import annotations

import sqlite3

from tests.conftest import ROOT, run_cli

# what only fetching, parsing or extracting a source needs
NOT_AT_START = {"trafilatura", "feedparser", "lxml", "courlan", "htmldate", "httpx",
                "httpcore", "anyio", "numpy.ma"}


def test_run_once_with_no_sources_seeds_the_archive_and_imports_no_fetching(tmp_path):
    config = tmp_path / "empty.toml"
    config.write_text("[tanfwatch]\n", "utf-8")
    db = tmp_path / "a.db"
    # PYTHONPROFILEIMPORTTIME: the interpreter lists every module it imports on stderr
    proc = run_cli(["run", "--once"], {"TANFWATCH_CONFIG": str(config), "TANFWATCH_DB": str(db),
                                       "PYTHONPROFILEIMPORTTIME": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and line.count("|") == 2}
    assert "bot.app" in imported and "sqlite_utils" in imported  # the listing worked
    assert not imported & NOT_AT_START
    seeds = {p.stem for p in (ROOT / "storage" / "seeds").glob("*.txt")}
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("select id, origin from articles"))
    assert seeds and rows == dict.fromkeys(seeds, "seed")


def test_the_runtime_matcher_compiles_at_its_first_match_and_matches_the_same():
    from matchers.judge import Judge
    from matchers.lazymatcher import LazyMatcher
    from matchers.relevance import load_matcher
    from tests.articles import TANF_DRONE

    loads: list[int] = []

    def load():  # noqa: ANN202
        loads.append(1)
        return load_matcher()

    lazy = LazyMatcher(load)
    judge = Judge(lazy)
    assert loads == []  # a run that judges nothing compiles nothing
    text, real = "\n\n".join(TANF_DRONE["paragraphs"]), load_matcher()
    assert judge.judge("a", text).match == real.match(text)
    assert lazy.match("TANF benefits for families").relevant is False
    assert lazy.threshold == real.threshold and loads == [1]
