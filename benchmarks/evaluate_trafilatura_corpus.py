"""trafilatura's own 990-page evaluation: our extraction against plain trafilatura.extract.

    git clone https://github.com/adbar/trafilatura && \\
    .venv/bin/python benchmarks/evaluate_trafilatura_corpus.py trafilatura/tests

Each page lists snippets that must ("with") and must not ("without") be in the text; counted
as trafilatura's tests/eval_common.py does (whitespace-normalised substrings), reported as
precision, recall, F1 and accuracy, with the seconds per page.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from watchers.extract import extract_article  # noqa: E402


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _counts(item: dict, result: str | None) -> tuple[int, int, int, int]:
    text = _norm(result or "")
    tp = sum(_norm(w) in text for w in item["with"]) if result else 0
    fp = sum(_norm(w) in text for w in item["without"]) if result else 0
    return tp, fp, len(item["with"]) - tp, len(item["without"]) - fp


def _ours(html: bytes, url: str) -> str | None:
    page = extract_article(html, url=url, detect=False)
    return page.text if page else None


def _plain(html: bytes, url: str) -> str | None:
    return trafilatura.extract(html, url=url)


def evaluate(tests: Path, run: Callable[[bytes, str], str | None]) -> str:
    data = json.loads((tests / "evaldata.json").read_text("utf-8"))
    tp = fp = fn = tn = 0
    spent = 0.0
    for url, item in data.items():
        path = next((p for p in (tests / "cache" / item["file"], tests / "eval" / item["file"])
                     if p.is_file()), None)
        if path is None:
            raise SystemExit(f"{url}: {item['file']} not found under {tests}")
        html = path.read_bytes()
        started = time.perf_counter()
        result = run(html, url)
        spent += time.perf_counter() - started
        counts = _counts(item, result)
        tp, fp, fn, tn = tp + counts[0], fp + counts[1], fn + counts[2], tn + counts[3]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return (f"{len(data)} pages: precision={precision:.3f} recall={recall:.3f} "
            f"f1={2 * precision * recall / (precision + recall):.3f} "
            f"accuracy={(tp + tn) / (tp + fp + fn + tn):.3f} s_per_page={spent / len(data):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tests", type=Path, help="the tests/ directory of a trafilatura checkout")
    tests = parser.parse_args().tests
    print("ours", evaluate(tests, _ours))
    print("trafilatura.extract", evaluate(tests, _plain))


if __name__ == "__main__":
    main()
