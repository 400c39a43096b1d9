"""The command line: `tanfwatch` (also `python -m bot`), one module per family of commands."""

from bot.cli.main import main

__all__ = ["main"]
