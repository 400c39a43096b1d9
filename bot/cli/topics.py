"""`tanfwatch topics`: the topics in force (built-in and the config's), and where each came from."""

from __future__ import annotations

import json
from typing import Any

import click

from matchers.registry import BUILT_IN, Topic, TopicRegistry

__all__ = ["format_topics", "topics"]


def _origin(topic: Topic) -> str:
    added = [f"{len(topic.names)} names" if len(topic.names) != 1 else "1 name"] \
        if topic.names else []
    added += [f"{len(topic.patterns)} patterns"] if topic.patterns else []
    extra = f" ({', '.join(added)})" if added else ""
    if topic.origin == BUILT_IN:
        return "built-in" + (f", extended by the config{extra}" if topic.extended else "")
    return "config" + extra


def format_topics(registry: TopicRegistry) -> str:
    """One line per topic: id, label, hashtag, where it came from, the /subscribe words."""
    rows = [(t.id, t.label, "#" + t.hashtag, _origin(t),
             ", ".join(t.words) or "-") for t in registry]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}"
                     f"; /subscribe words: {r[4]}" for r in rows)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the topics as a JSON array.")
@click.pass_obj
def topics(obj: Any, as_json: bool) -> None:
    """List the topics in force: built-in ones and the config's [[topics]], with their
    labels, hashtags, /subscribe words and where each came from."""
    registry = obj.settings().topics
    if as_json:
        click.echo(json.dumps([t.to_json() for t in registry], ensure_ascii=False, indent=2))
    else:
        click.echo(format_topics(registry))
