"""Every bot command is documented in the README and in /help."""

from __future__ import annotations

import re

from bot.telegram.commands import COMMANDS, help_text
from matchers.registry import builtin_registry
from tests.conftest import ROOT


def test_every_bot_command_is_in_the_readme_and_help():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `/([a-z_]+)", readme, flags=re.MULTILINE))
    names = {spec.name for spec in COMMANDS}
    assert documented == names
    shown = set(re.findall(r"^/([a-z_]+)", help_text(builtin_registry()), flags=re.MULTILINE))
    assert shown == names


def test_every_cli_command_is_in_the_readme():
    import click

    from bot.cli.main import cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = []
    for name, command in cli.commands.items():
        names.append(name)
        if isinstance(command, click.Group):
            names += [f"{name} {sub}" for sub in command.commands]
    missing = [n for n in names if f"`tanfwatch {n}" not in readme]
    assert missing == []


def test_the_readme_map_names_only_places_that_exist():
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    named = 0
    for line in section.splitlines():
        base = ""  # a bare file name is in the folder named before it on its line
        for cell in re.findall(r"`([\w./-]+)`", line):
            if cell.endswith("/"):
                base = cell
            elif not cell.endswith((".py", ".toml")):
                continue
            path = ROOT / cell if "/" in cell else ROOT / base / cell
            named += 1
            assert path.exists(), f"README 'Where things are' names {cell}, which is not there"
    assert named >= 30
    for room in ("bot/alerts/", "bot/cli/", "bot/telegram/", "storage/migrations.py"):
        assert f"`{room}`" in section
