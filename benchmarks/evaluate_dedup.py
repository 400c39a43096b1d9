"""Evaluate copy detection and same-story grouping on the labelled corpus.

    .venv/bin/python benchmarks/evaluate_dedup.py [--corpus PATH] [--seeds DIR] [--verbose]
        [--mode historic|live|both] [--relabel ID=DUP_OF ...]

Records are fed in file order after the seeds, the way the bot sees a stream: check, then add.
Gold copies come from `dup_of` (copy-clusters = connected components; the first member seen in the
stream is the original, every later member is expected to be flagged as a copy of *some* member of
its cluster) and from notes saying a record carries a seed's text. Gold story pairs are pairs of
records with the same non-null `story`; two copies of one text with no story label count as one
story too (a copy is trivially the same event). Synthetic copies are made from the corpus texts
the way the web makes them. The corpus is read at run time and never copied into the repo.

Two modes. *historic*: the records in file order with their real dates, years apart. *live*: the
way a running bot meets them (`livestream.redate`): every story re-dated into one three-week
window, its reports within two days, everything else anywhere in the window, fed in date order
with the irrelevant records mixed in. Only relevant articles form stories (an alert refers to
them), so story pairs are scored over the relevant records; the figure over all records is kept
for comparison with earlier runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.livestream import redate, seed_dates  # noqa: E402
from matchers.dedup import KnownArticles, signature  # noqa: E402
from storage.seeds import SeedArticle, load_seeds  # noqa: E402

CORPUS = Path("/work/shared/corpus/dev.jsonl")
SEEDS = Path(__file__).resolve().parents[1] / "storage" / "seeds"
_SEED_NOTE = re.compile(r"same (?:text|article) as shared/seeds/(\d{3})")


def _date(value: str | None) -> datetime | None:
    if value and "T" in value:  # a live-mode date: full ISO with time and zone
        return datetime.fromisoformat(value)
    if value and re.match(r"^\d{4}-\d{2}-\d{2}$", value[:10]) and "inferred" not in value:
        return datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    return None


def _clusters(records: list[dict], seed_ids: list[str]) -> dict[str, str]:
    parent = {r["id"]: r["id"] for r in records} | {s: s for s in seed_ids}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for r in records:
        links = [r["dup_of"]] if r["dup_of"] else []
        links += [s for s in seed_ids if s[:3] in _SEED_NOTE.findall(r.get("notes") or "")]
        for other in links:
            parent[find(r["id"])] = find(other)
    return {x: find(x) for x in parent}


def _load_seeds(folder: Path) -> list[SeedArticle]:
    """The shipped seeds as the bot loads them (title, URL, date); another folder: texts only."""
    if folder.resolve() == SEEDS.resolve():
        return load_seeds()
    return [SeedArticle(p.stem, "", p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.txt"))]


def run_stream(records: list[dict], seeds: list[SeedArticle],
               dates: dict[str, datetime] | None = None) -> dict[str, tuple]:
    """Seeds first (`dates` may move them in time), then every record: check, then add."""
    known = KnownArticles()
    for seed in seeds:  # the way storage.known feeds them: with title, URL and date
        published = (dates or {}).get(seed.id, seed.published)
        sig = signature(seed.text, seed.title, published)
        res = known.check(sig, url=seed.url)
        known.add(seed.id, sig, story=res.story or seed.id, url=seed.url,
                  duplicate_of=res.duplicate_of)
    out = {}
    for r in records:  # relevance is the gold label here: this scores dedup alone
        sig = signature(r["text"], r.get("title") or "", _date(r.get("date")))
        res = known.check(sig, url=r.get("source"), stories=r["relevant"])
        story = res.story or r["id"]
        known.add(r["id"], sig, story=story, url=r.get("source"), duplicate_of=res.duplicate_of,
                  relevant=r["relevant"])
        out[r["id"]] = (res.duplicate_of, story, f"{res.story_score:.3f} {res.reason}")
    return out


def score_copies(records: list[dict], cluster: dict[str, str], seen: set[str],
                 pred: dict[str, tuple], verbose: bool) -> None:
    expected, distinct, tp, predicted, false_dup = 0, 0, 0, 0, 0
    for r in records:
        root = cluster[r["id"]]
        is_copy = any(cluster[s] == root for s in seen)
        dup = pred[r["id"]][0]
        expected += is_copy
        distinct += not is_copy
        predicted += dup is not None
        ok = dup is not None and cluster.get(dup) == root
        tp += is_copy and ok
        false_dup += dup is not None and not is_copy
        if verbose and (is_copy != ok or (dup and not ok)):
            print(f"  MISS/WRONG {r['id']}: expected copy={is_copy} got {dup} ({pred[r['id']][2]})")
        seen.add(r["id"])
    print(f"copies (dev stream): expected {expected}, predicted {predicted}, correct {tp}")
    print(f"  precision {tp / max(predicted, 1):.3f}  recall {tp / max(expected, 1):.3f}  "
          f"false duplicates {false_dup}/{distinct} = {100 * false_dup / max(distinct, 1):.1f}% "
          "of distinct articles")


def _gold_stories(records: list[dict], cluster: dict[str, str]) -> dict[str, str | None]:
    sizes = Counter(cluster[r["id"]] for r in records)
    return {r["id"]: r["story"] or (f"copies:{cluster[r['id']]}"
                                    if sizes[cluster[r["id"]]] > 1 else None) for r in records}


def story_pairs(records: list[dict], cluster: dict[str, str], pred: dict[str, tuple],
                verbose: bool = False) -> dict[str, Counter]:
    """tp/fp/fn of same-story pairs, per language pair and in all ("all")."""
    gold = _gold_stories(records, cluster)
    by_pair: dict[str, Counter] = defaultdict(Counter)
    for a, b in itertools.combinations(records, 2):
        same_gold = gold[a["id"]] is not None and gold[a["id"]] == gold[b["id"]]
        same_pred = pred[a["id"]][1] == pred[b["id"]][1]
        counts = Counter(tp=same_gold and same_pred, fp=same_pred and not same_gold,
                         fn=same_gold and not same_pred)
        by_pair["-".join(sorted((a["language"], b["language"])))].update(counts)
        by_pair["all"].update(counts)
        if verbose and (counts["fp"] or counts["fn"]):
            print(f"  {'FALSE' if counts['fp'] else 'MISSED'} PAIR {a['id']} ~ {b['id']}")
    return by_pair


def score_stories(records: list[dict], cluster: dict[str, str], pred: dict[str, tuple],
                  verbose: bool, label: str = "") -> tuple[float, float]:
    by_pair = story_pairs(records, cluster, pred, verbose)
    c = by_pair.pop("all")
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    print(f"same-story pairs{label}: gold {tp + fn}, predicted {tp + fp}, correct {tp}")
    print(f"  precision {precision:.3f}  recall {recall:.3f}")
    for langs, c in sorted(by_pair.items()):
        if c["tp"] + c["fp"] + c["fn"]:
            print(f"  {langs:6s} gold {c['tp'] + c['fn']:3d}  predicted {c['tp'] + c['fp']:3d}  "
                  f"correct {c['tp']:3d}")
    return precision, recall


_HEADERS = ["By Staff Reporter | News Desk\nPublished 3 hours ago\n\n",
            "Home > World > Middle East\n\n", "EXCLUSIVE\nShare on Facebook Share on X Email\n\n"]
_FOOTERS = ["\n\nRelated stories\nSubscribe to our newsletter\n© 2025 All rights reserved.",
            "\n\nThis article first appeared with a partner agency and is republished here.",
            "\n\nTags: Syria, Middle East, Security\nLeave a comment"]


def _syndicate(text: str, rnd: random.Random, _others: list[str]) -> str:
    return rnd.choice(_HEADERS) + text + rnd.choice(_FOOTERS)


def _cut(text: str, rnd: random.Random, _others: list[str]) -> str:
    words = text.split(" ")
    return " ".join(words[: max(8, int(len(words) * rnd.uniform(0.4, 0.6)))])


def _roundup(text: str, rnd: random.Random, others: list[str]) -> str:
    parts = rnd.sample(others, 3) + [text]
    rnd.shuffle(parts)
    return "Daily briefing\n\n" + "\n\n* * *\n\n".join(parts)


def _markup(text: str, rnd: random.Random, _others: list[str]) -> str:
    paras = [f"<p>{p.strip()}</p>" for p in text.split("\n") if p.strip()]
    out = "\n".join(paras).replace(" ", "  ").replace(". ", ".\n")
    return out.upper() if rnd.random() < 0.5 else out.replace("&", "&amp;")


def _edit(text: str, rnd: random.Random, _others: list[str]) -> str:
    words = text.split(" ")
    for _ in range(max(1, len(words) // 25)):  # ~4% of words deleted, replaced or inserted
        i = rnd.randrange(len(words))
        op = rnd.random()
        if op < 0.33:
            del words[i]
        elif op < 0.66:
            words[i] = rnd.choice(["reportedly", "officials", "the", "local", "said"])
        else:
            words.insert(i, rnd.choice(["also", "recently", "however"]))
    return " ".join(words)


KINDS = {"syndicated": _syndicate, "cut 40-60%": _cut, "in roundup": _roundup,
         "markup/case/space": _markup, "small edits": _edit}


def synthetic(records: list[dict], cluster: dict[str, str], seeds: list[SeedArticle]) -> None:
    """Index one original per copy-cluster, then check generated copies of each original."""
    rnd = random.Random(20250401)
    known = KnownArticles()
    originals, seen_roots = [], set()
    for seed in seeds:
        known.add(seed.id, signature(seed.text, seed.title), story=seed.id)
        seen_roots.add(cluster.get(seed.id, seed.id))
    false_dup = 0
    for r in records:
        if cluster[r["id"]] in seen_roots:
            continue
        seen_roots.add(cluster[r["id"]])
        sig = signature(r["text"], r.get("title") or "")
        false_dup += known.check(sig).duplicate_of is not None
        known.add(r["id"], sig, story=r["id"])
        originals.append(r)
    texts = [r["text"] for r in originals]
    print(f"synthetic copies of {len(originals)} distinct corpus texts "
          f"(false duplicates while indexing them: {false_dup}/{len(originals)})")
    total_ok = total = 0
    for kind, make in KINDS.items():
        ok = 0
        for r in originals:
            copy = make(r["text"], rnd, [t for t in texts if t is not r["text"]])
            res = known.check(signature(copy))
            ok += res.duplicate_of is not None and (
                res.duplicate_of == r["id"] or kind == "in roundup")
        total_ok += ok
        total += len(originals)
        print(f"  {kind:18s} recall {ok / len(originals):.3f} ({ok}/{len(originals)})")
    print(f"  all kinds          recall {total_ok / total:.3f}")


def largest_stories(records: list[dict], pred: dict[str, tuple]) -> None:
    """The biggest predicted stories, each with the gold events its members report."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        groups[pred[r["id"]][1]].append(r)
    top = sorted(groups.values(), key=len, reverse=True)[:3]
    for members in top:
        events = Counter(r["story"] or f"({r['id']})" for r in members)
        print(f"  story of {len(members)}: " + "; ".join(
            f"{n}x {e[:48]}" for e, n in events.most_common()))


def evaluate(records: list[dict], cluster: dict[str, str], seeds: list[SeedArticle],
             verbose: bool, *, live: bool = False) -> None:
    dates = seed_dates([s.id for s in seeds], records, cluster) if live else None
    pred = run_stream(records, seeds, dates)
    score_copies(records, cluster, {s.id for s in seeds}, pred, verbose)
    relevant = [r for r in records if r["relevant"]]
    score_stories(relevant, cluster, pred, verbose, " (relevant records)")
    score_stories(records, cluster, pred, False, " (all records)")
    largest_stories(relevant, pred)


def live_runs(records: list[dict], cluster: dict[str, str], seeds: list[SeedArticle],
              runs: int) -> None:
    """Story pairs over several re-datings: one draw can be lucky or unlucky."""
    figures, mixed = [], []
    relevant_stories = len({r["story"] or r["id"] for r in records if r["relevant"]})
    for k in range(runs):
        stream = redate(records, cluster=cluster, seed=k)
        pred = run_stream(stream, seeds, seed_dates([s.id for s in seeds], stream, cluster))
        relevant = [r for r in stream if r["relevant"]]
        largest = max(Counter(pred[r["id"]][1] for r in relevant).values())
        events: dict[str, set] = defaultdict(set)
        for r in relevant:
            events[pred[r["id"]][1]].add(r["story"] or r["id"])
        mixed.append(sum(len(e) > 1 for e in events.values()))
        c = story_pairs(relevant, cluster, pred)["all"]
        figures.append((c["tp"] / max(c["tp"] + c["fp"], 1), c["tp"] / max(c["tp"] + c["fn"], 1),
                        largest))
    p, r, big = (np.array(column) for column in zip(*figures, strict=True))
    print(f"live, {runs} re-datings: same-story pairs (relevant records) precision mean "
          f"{p.mean():.3f} (min {p.min():.3f}), recall mean {r.mean():.3f} (min {r.min():.3f}); "
          f"largest story {int(big.min())}-{int(big.max())} reports (largest event: 8); "
          f"stories mixing events: {min(mixed)}-{max(mixed)} per run "
          f"(mean {sum(mixed) / len(mixed):.1f}, of {relevant_stories} relevant events)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--mode", choices=("historic", "live", "both"), default="both")
    parser.add_argument("--live-seed", type=int, default=20261102,
                        help="random seed of the live re-dating")
    parser.add_argument("--live-runs", type=int, default=10, metavar="N",
                        help="also report story pairs over N re-datings (0: none)")
    parser.add_argument("--relabel", action="append", default=[], metavar="ID=DUP_OF",
                        help="score with a disputed dup_of label changed (repeatable)")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.corpus.read_text("utf-8").splitlines() if line]
    for change in args.relabel:
        rid, _, dup = change.partition("=")
        for r in records:
            if r["id"] == rid:
                r["dup_of"] = dup or None
                print(f"relabelled: {rid} dup_of={dup or None}")
    seeds = _load_seeds(args.seeds)
    cluster = _clusters(records, [s.id for s in seeds])
    print(f"corpus {args.corpus} ({len(records)} records) after {len(seeds)} seeds")
    if args.mode in ("historic", "both"):
        print("== historic: file order, real dates")
        evaluate(records, cluster, seeds, args.verbose)
    if args.mode in ("live", "both"):
        print("== live: every story re-dated into one three-week window, in date order")
        stream = redate(records, cluster=cluster, seed=args.live_seed)
        evaluate(stream, cluster, seeds, args.verbose, live=True)
        if args.live_runs:
            live_runs(records, cluster, seeds, args.live_runs)
    synthetic(records, cluster, seeds)


if __name__ == "__main__":
    main()
