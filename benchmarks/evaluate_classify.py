"""Evaluate the `tanfwatch classify` contract end to end on a labelled corpus.

    python benchmarks/evaluate_classify.py [../shared/corpus/dev.jsonl] [--mode historic|live|both]
        [--relabel ID=DUP_OF ...]

Feeds the records through the same code path as `tanfwatch classify` (seeds first, each record
judged against everything before it) and prints relevance (overall and by language), duplicate
and same-story figures against the gold labels. *historic*: file order, real dates. *live*: as a
running bot meets them (`livestream.redate`): every story re-dated into one three-week window, in
date order, irrelevant records mixed in. Story pairs are scored over the relevant records (only
they form stories); the figure over all records is kept for comparison with earlier runs.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.livestream import redate  # noqa: E402
from bot.classify import classify_stream  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "corpus" / "dev.jsonl"


def prf(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}  (tp {tp}, fp {fp}, fn {fn})"


def relevance(gold: list[dict], out: dict[str, dict], *, skip_borderline: bool) -> str:
    tp = fp = fn = 0
    for g in gold:
        if skip_borderline and g.get("borderline"):
            continue
        pred = out[g["id"]]["relevant"]
        tp += pred and g["relevant"]
        fp += pred and not g["relevant"]
        fn += (not pred) and g["relevant"]
    return prf(tp, fp, fn)


def _clusters(gold: list[dict]) -> dict[str, str]:
    """Copy clusters from the dup_of links (a copy pair has no direction in a stream)."""
    parent = {g["id"]: g["id"] for g in gold}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for g in gold:
        if g["dup_of"] in parent:
            parent[root(g["id"])] = root(g["dup_of"])
    return {x: root(x) for x in parent}


def duplicates(gold: list[dict], out: dict[str, dict]) -> str:
    """A record should be a duplicate iff an earlier record is in its copy cluster; a predicted
    duplicate is right when it points into that cluster. Copies of the seeds are not labelled
    in the corpus and are left out of the count."""
    cluster = _clusters(gold)
    seen: set[str] = set()
    tp = fp = fn = false_dups = distinct = 0
    for g in gold:
        c = cluster[g["id"]]
        pred = out[g["id"]]["duplicate_of"]
        if pred is not None and pred not in cluster:
            seen.add(c)
            continue  # a copy of a seed article
        expected = c in seen
        ok = pred is not None and cluster.get(pred) == c
        tp += expected and ok
        fn += expected and not ok
        fp += pred is not None and not ok
        if not expected:
            distinct += 1
            false_dups += pred is not None
        seen.add(c)
    return f"{prf(tp, fp, fn)}; false duplicates {false_dups}/{distinct} distinct articles"


def by_language(gold: list[dict], out: dict[str, dict]) -> str:
    """Relevance per language (language_detail), borderline records left out."""
    rows = []
    for lang in sorted({g["language_detail"] for g in gold}):
        part = [g for g in gold if g["language_detail"] == lang]
        tp = sum(out[g["id"]]["relevant"] and g["relevant"] for g in part if not g["borderline"])
        fp = sum(out[g["id"]]["relevant"] and not g["relevant"] for g in part
                 if not g["borderline"])
        fn = sum(not out[g["id"]]["relevant"] and g["relevant"] for g in part
                 if not g["borderline"])
        rows.append(f"{lang} {tp}/{tp + fn} found, {fp} false")
    return "; ".join(rows)


def largest_story(gold: list[dict], out: dict[str, dict]) -> str:
    members: dict[str, list[dict]] = {}
    for g in gold:
        if g["relevant"]:
            members.setdefault(out[g["id"]]["story"], []).append(g)
    biggest = max(members.values(), key=len)
    events = {g["story"] or g["id"] for g in biggest}
    mixed = sum(len({g["story"] or g["id"] for g in m}) > 1 for m in members.values())
    return (f"{len(biggest)} reports of {len(events)} event(s); stories mixing events: {mixed}")


def stories(gold: list[dict], out: dict[str, dict]) -> str:
    gold_pairs, pred_pairs = set(), set()
    for a, b in combinations(gold, 2):
        key = tuple(sorted((a["id"], b["id"])))
        if a["story"] and a["story"] == b["story"]:
            gold_pairs.add(key)
        if out[a["id"]]["story"] == out[b["id"]]["story"]:
            pred_pairs.add(key)
    tp = len(gold_pairs & pred_pairs)
    return prf(tp, len(pred_pairs - gold_pairs), len(gold_pairs - pred_pairs))


def main(path: Path, relabel: list[str], mode: str) -> None:
    gold = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    for change in relabel:  # score with a disputed dup_of label changed
        rid, _, dup = change.partition("=")
        for g in gold:
            if g["id"] == rid:
                g["dup_of"] = dup or None
                print(f"relabelled: {rid} dup_of={dup or None}")
    print(f"records {len(gold)}")
    if mode in ("historic", "both"):
        print("== historic: file order, real dates")
        report(gold, classify(gold))
    if mode in ("live", "both"):
        print("== live: every story re-dated into one three-week window, in date order")
        stream = redate(gold, cluster=_clusters(gold))
        report(stream, classify(stream))


def classify(gold: list[dict]) -> dict[str, dict]:
    """The classify verdicts, records given as the corpus gives them (dates as written)."""
    records = [
        json.dumps({"id": g["id"], "text": g["text"], "title": g.get("title") or "",
                    "url": g.get("source"), "language": g.get("language_detail"),
                    "published": g.get("date") or ""}, ensure_ascii=False)
        for g in gold
    ]
    buffer = io.StringIO()
    errors = classify_stream(records, buffer)
    assert not errors, errors
    return {o["id"]: o for o in map(json.loads, buffer.getvalue().splitlines())}


def report(gold: list[dict], out: dict[str, dict]) -> None:
    relevant = [g for g in gold if g["relevant"]]
    print("relevance, all            ", relevance(gold, out, skip_borderline=False))
    print("relevance, not borderline ", relevance(gold, out, skip_borderline=True))
    print("relevance by language     ", by_language(gold, out))
    print("duplicates                ", duplicates(gold, out))
    print("same-story pairs, relevant", stories(relevant, out))
    print("same-story pairs, all     ", stories(gold, out))
    print("largest story             ", largest_story(gold, out))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="?", default=DEFAULT)
    parser.add_argument("--relabel", action="append", default=[], metavar="ID=DUP_OF")
    parser.add_argument("--mode", choices=("historic", "live", "both"), default="both")
    args = parser.parse_args()
    main(args.corpus, args.relabel, args.mode)
