"""Benchmark the date reader and the language detector: cost per call, by shape.

Usage: python benchmarks/bench_dates.py [--rounds N]

Each shape is read once cold (the first call pays the lazy imports: dateparser, its
locales and the py3langid model) and then N times warm; the warm median per call is
printed. ISO, RFC 822 and English/Arabic written-out dates never reach dateparser.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watchers.dates import read_date  # noqa: E402
from watchers.language import detect_language  # noqa: E402

NOW = datetime(2026, 12, 2, tzinfo=UTC)
SHAPES = [  # (label, text, language hint)
    ("ISO datetime", "2024-12-06T10:00:00+02:00", None),
    ("ISO date", "2024-12-06", None),
    ("partial (month)", "2024-12", None),
    ("inferred", "2023-11-10 (inferred)", None),
    ("RFC 822", "Mon, 02 Nov 2026 10:00:00 GMT", None),
    ("English written", "12 March 2023", None),
    ("English US", "March 12, 2023", None),
    ("Arabic Levantine", "١٢ آذار ٢٠٢٣", None),
    ("French, hint fr", "12 mars 2023", "fr"),
    ("Russian, hint ru", "12 марта 2023", "ru"),
    ("Russian, no hint", "12 марта 2023", None),
    ("Turkish, no hint", "12 Mart 2023", None),
    ("junk, no year", "yesterday", None),
    ("junk with a year", "hello 2023 world", None),
]
TEXT = ("Local sources said that drones attacked the military base near the border. " * 40)


def per_call(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main(rounds: int) -> None:
    print(f"{'shape':<20} {'cold ms':>9} {'warm us/call':>13}  result")
    for label, text, hint in SHAPES:
        start = time.perf_counter()
        found = read_date(text, now=NOW, language=hint)
        cold = (time.perf_counter() - start) * 1e3
        warm = per_call(lambda t=text, h=hint: read_date(t, now=NOW, language=h), rounds)
        shown = f"{found.moment:%Y-%m-%d %H:%M} {found.precision}" if found else "None"
        print(f"{label:<20} {cold:>9.2f} {warm:>13.1f}  {shown}")
    start = time.perf_counter()
    detect_language(TEXT)
    cold = (time.perf_counter() - start) * 1e3
    warm = per_call(lambda: detect_language(TEXT), rounds)
    print(f"{'language, article':<20} {cold:>9.2f} {warm:>13.1f}  {detect_language(TEXT)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    main(parser.parse_args().rounds)
