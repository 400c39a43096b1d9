"""Regenerate matchers/countries.json: the names of Syria, Iraq, Jordan and the United States in
every CLDR locale babel ships, grouped by language code.

    .venv/bin/python scripts/gen_countries.py          # rewrite the file
    .venv/bin/python scripts/gen_countries.py --check  # exit 1 when the file is out of date

Reading all ~1,100 locales costs about 1.5 s, too slow for every start-up, so the names are
shipped as data; tests/test_context.py checks that the file matches babel.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers

TERRITORIES = {"SY": "Syria", "IQ": "Iraq", "JO": "Jordan", "US": "US"}
PATH = Path(__file__).resolve().parent.parent / "matchers" / "countries.json"


def build() -> dict[str, dict[str, list[str]]]:
    """{language: {label: sorted names}} over every locale of that language."""
    out: dict[str, dict[str, set[str]]] = {}
    for ident in locale_identifiers():
        try:
            locale = Locale.parse(ident)
        except (UnknownLocaleError, ValueError):
            continue
        names = locale.territories
        for code, label in TERRITORIES.items():
            if code in names:
                out.setdefault(locale.language, {}).setdefault(label, set()).add(names[code])
    return {lang: {label: sorted(v) for label, v in sorted(d.items())}
            for lang, d in sorted(out.items())}


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=0, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = PATH.exists() and PATH.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{PATH} is out of date: run {sys.argv[0]}")
        return 0 if same else 1
    PATH.write_text(text, encoding="utf-8")
    print(f"wrote {PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
