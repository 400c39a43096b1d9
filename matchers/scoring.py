"""How the relevance matcher weighs what it found: which hits count (`gate`) and the parts of
the score (`score_parts`), from the ``[scoring]`` table of topics.toml. Pure: hits in, numbers
out.
"""

from __future__ import annotations

from collections.abc import Callable

from matchers.hits import Raw, Span
from matchers.topicdefs import TermSet

__all__ = ["gate", "mention_weights", "score_parts"]


def gate(raws: list[Raw], context: list[str], suppressing: list[TermSet],
         reasons: list[str], near: Callable[[Span], set[str]], scoring: dict[str, float],
         ) -> list[Raw]:
    """Drop ambiguous hits in look-alike context and hits whose `needs` are unmet.

    Ungated hits are accepted first; "context" hits need another accepted hit or enough
    context words (in the whole text, or, for unambiguous aliases, in any language near
    the hit: `near`); "topic" hits need another accepted hit (of a different alias).
    """
    if suppressing:
        for r in raws:
            if r.alias.ambiguous:
                reasons.append(f"ignored {r.hit.found!r}: look-alike context")
        raws = [r for r in raws if not r.alias.ambiguous]
    kept = [r for r in raws if r.alias.needs is None]
    minimum = scoring["context_min"]
    enough_context = len(context) >= minimum
    for needs in ("context", "topic"):
        accepted = list(kept)
        for r in raws:
            if r.alias.needs != needs:
                continue
            others = any(k.alias.label != r.alias.label for k in accepted)
            if others or needs == "context" and (enough_context or not r.alias.ambiguous
                                                 and len(near(r.hit)) >= minimum):
                kept.append(r)
            else:
                reasons.append(f"ignored {r.hit.found!r} ({r.alias.label}): needs {needs}")
    return sorted(kept, key=lambda r: (r.hit.field != "title", r.hit.start))


def mention_weights(body: list[Raw], scoring: dict[str, float]) -> list[float]:
    """Weights of distinct text mentions: hits of one topic close together count once."""
    gap = scoring["same_mention_chars"]
    weights: list[float] = []
    last: dict[str, int] = {}
    for r in sorted(body, key=lambda r: r.hit.start):
        prev = last.get(r.alias.topic)
        if prev is not None and r.hit.start - prev <= gap:
            weights[-1] = max(weights[-1], r.alias.weight)
        else:
            weights.append(r.alias.weight)
        last[r.alias.topic] = r.hit.end
    return weights


def score_parts(hits: list[Raw], context: list[str], text_len: int, penalty: float,
                named: bool, scoring: dict[str, float]) -> list[tuple[str, float]]:
    """The parts of an article's score (they add up to it, capped at 0..1)."""
    sc = scoring
    parts: list[tuple[str, float]] = []
    title_w = max((r.alias.weight for r in hits if r.hit.field == "title"), default=0.0)
    if title_w:
        parts.append(("title", round(sc["title"] * title_w, 3)))
    body = [r for r in hits if r.hit.field == "text"]
    weights = mention_weights(body, sc)
    if weights:
        parts.append(("mention", round(sc["first_mention"] * max(weights), 3)))
    if len(weights) > 1:
        extra = sc["per_mention"] * (sum(weights) - max(weights))
        parts.append(("repeats", round(min(sc["max_mentions"], extra), 3)))
    in_lead = any(r.hit.start < sc["lead_chars"] for r in body)
    if in_lead:
        parts.append(("lead", sc["lead"]))
    if named:
        parts.append(("named", sc["named"]))
    n_topics = len({r.alias.topic for r in hits})
    if n_topics > 1:
        parts.append(("topics", round(sc["per_topic"] * (n_topics - 1), 3)))
    if context and hits:
        ctx = min(sc["max_context"], sc["per_context"] * len(context))
        parts.append(("context", round(ctx, 3)))
    is_passing = len(weights) == 1 and not in_lead and not title_w
    if is_passing and text_len >= sc["passing_min_chars"]:
        parts.append(("passing", sc["passing"]))
    if penalty:
        parts.append(("lookalike", penalty))
    return parts
