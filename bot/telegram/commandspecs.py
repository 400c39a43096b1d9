"""The bot's command list: names, arguments and descriptions, the /help text, topic words.

One table serves `setMyCommands`, /help and the README check (tests/test_docs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from matchers.registry import TopicRegistry

__all__ = ["COMMANDS", "BotCommandSpec", "help_text", "topic_list", "topic_names"]

@dataclass(frozen=True)
class BotCommandSpec:
    name: str
    args: str
    description: str
    admin: bool = False


COMMANDS: tuple[BotCommandSpec, ...] = (
    BotCommandSpec("start", "", "what this bot does"),
    BotCommandSpec("help", "", "list the commands"),
    BotCommandSpec("subscribe", "[topic]", "get alerts here (all topics, or one)"),
    BotCommandSpec("unsubscribe", "[topic]", "stop alerts here (all topics, or one)"),
    BotCommandSpec("latest", "[n]", "the n latest relevant reports (default 5)"),
    BotCommandSpec("search", "<query>", "full-text search of the archive"),
    BotCommandSpec("story", "<id>", "one archived report and its story"),
    BotCommandSpec("status", "", "sources healthy/failing, last poll, pending alerts"),
    BotCommandSpec("sources", "", "the sources watched"),
    BotCommandSpec("report", "[day|week|month]",
                   "chart of coverage over time by topic and language, top outlets"),
    BotCommandSpec("preview", "on|off", "link previews under alerts in this chat"),
    BotCommandSpec("followups", "thread|digest|mute", "how follow-ups of a story arrive here"),
    BotCommandSpec("addsource", "<url>", "admin: watch a new feed", admin=True),
    BotCommandSpec("removesource", "<name>", "admin: stop watching a bot-added source",
                   admin=True),
    BotCommandSpec("pause", "", "admin: pause alert delivery", admin=True),
    BotCommandSpec("resume", "", "admin: resume alert delivery", admin=True),
)


def help_text(topics: TopicRegistry) -> str:
    lines = ["<b>tanfwatch</b> commands:"]
    for spec in COMMANDS:
        args = f" {escape(spec.args)}" if spec.args else ""
        lines.append(f"/{spec.name}{args} — {escape(spec.description)}")
    lines.append("Topics: " + escape(topic_list(topics)))
    return "\n".join(lines)


def topic_list(topics: TopicRegistry) -> str:
    """"al-tanf (al-Tanf), ...": the ids /subscribe takes, with their labels."""
    return ", ".join(f"{t.id} ({t.label})" for t in topics)


def topic_names(args: list[str], topics: TopicRegistry) -> tuple[str, ...] | None:
    """Topic words ("tanf", "#alTanf", "rukban-camp") -> ids; None if any is unknown."""
    out = [topics.resolve(a) for a in args]
    return None if None in out else tuple(dict.fromkeys(t for t in out if t))
