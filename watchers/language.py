"""The language of a text, for pages and records that do not declare one (py3langid).

The model (~0.7 s to load) is loaded on first use, once per process; a call then costs
about 100 microseconds. Only the first thousand characters are read: enough to decide,
and the cost stays flat for long articles.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

__all__ = ["MIN_CONFIDENCE", "MIN_LETTERS", "detect_language", "likely_languages"]

MIN_LETTERS = 12  # fewer letters than this say too little about a language
MIN_CONFIDENCE = 0.5  # a lower normalised probability is a guess between neighbours
_SAMPLE_CHARS = 1000  # plenty to tell languages apart; the cost grows with the length


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _sample(text: str) -> str | None:
    sample = text[:_SAMPLE_CHARS]
    return sample if sum(c.isalpha() for c in sample) >= MIN_LETTERS else None


def detect_language(text: str | None) -> str | None:
    """An ISO 639-1 code ("ar", "ru", "en", ...) for ``text``, or None when it is too short
    or the model is unsure."""
    sample = _sample(text or "")
    if sample is None:
        return None
    language, confidence = _identifier().classify(sample)
    return str(language) if confidence >= MIN_CONFIDENCE else None


def likely_languages(text: str, count: int = 3) -> list[str]:
    """The ``count`` most likely languages of a short text, best first (for date words)."""
    return [str(lang) for lang, _ in _identifier().rank(text[:_SAMPLE_CHARS])[:count]]
