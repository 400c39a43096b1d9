"""The words every news text uses, in any language: no evidence of which event a report is about.

"statement", "forces", "reported", "военные", "قوات" are in nearly every report of every event, so
two reports sharing them are no more alike than any two. `common_words.txt` (package data) holds
the words wordfreq finds at least this common in any of its languages, folded like story terms;
`scripts/make-common-words` regenerates it. Loaded once, on first use.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = ["common_words"]


@cache
def common_words() -> frozenset[str]:
    text = resources.files("matchers").joinpath("common_words.txt").read_text("utf-8")
    # the ~100k lines go into the set in C; the few comment and blank lines are taken out after
    # (a line-by-line filter in Python took twice as long, at every start)
    return frozenset(text.splitlines()) - frozenset(re.findall(r"^(?:#.*)?$", text, re.M))
