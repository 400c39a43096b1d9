"""docs/scaling.md names seams that exist: every file it cites, every class in its table."""

from __future__ import annotations

import re

from tests.conftest import ROOT

DOC = ROOT / "docs" / "scaling.md"


def test_the_scaling_note_is_linked_and_its_files_exist():
    text = DOC.read_text(encoding="utf-8")
    assert "(docs/scaling.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:bot|storage|watchers|benchmarks)/[\w/]+\.py)`", text))
    assert len(paths) >= 10
    assert [p for p in paths if not (ROOT / p).is_file()] == []


def test_the_seams_it_names_are_defined_where_it_says():
    from bot.pipeline import Pipeline
    from bot.telegram.sender import Sender
    from storage.archive import Archive
    from storage.outbox import Outbox
    from watchers.fetch import Fetcher

    text = DOC.read_text(encoding="utf-8")
    for seam in (Archive, Outbox, Fetcher, Sender, Pipeline):
        path = seam.__module__.replace(".", "/") + ".py"
        assert f"`{seam.__name__}`" in text and f"`{path}`" in text, seam
