"""The Dockerfile and compose.yaml, read statically. The real proof is scripts/container-smoke
(container-check builds the image and runs the bot inside it); these catch a regression early."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n(\s*#.*\n)*", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), " ".join(rest.split())))
    return result


def stages() -> dict[str, list[tuple[str, str]]]:
    """Stage name (or "final" for the last) -> its instructions after FROM."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, rest in instructions((ROOT / "Dockerfile").read_text("utf-8")):
        if word == "FROM":
            name = rest.split(" AS ")[-1].strip() if " AS " in rest.upper() else "final"
            current = found.setdefault(name.lower(), [])
        elif word != "ARG" or found:
            current.append((word, rest))
    return found


def packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return {p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]}


def test_dependencies_are_built_from_pyproject_alone():
    deps = stages()["deps"]
    copies = [rest for word, rest in deps if word in ("COPY", "ADD")]
    assert copies == ["pyproject.toml ./"]  # a code change cannot touch this stage
    assert any(word == "RUN" and "pip wheel" in rest for word, rest in deps)


def test_final_stage_installs_dependencies_before_the_code():
    final = stages()["final"]
    steps = [(word, rest) for word, rest in final if word in ("RUN", "COPY", "ADD")]
    deps_install = next(i for i, (w, r) in enumerate(steps) if "from=deps" in r and "pip" in r)
    code = [i for i, (w, r) in enumerate(steps) if "--from=app" in r]
    assert code and min(code) > deps_install
    assert not any("from=deps,source=/wheels" in r for w, r in steps if w == "COPY")


def test_app_stage_copies_every_package():
    copied = {rest.split()[0] for word, rest in stages()["app"] if word == "COPY"}
    assert packages() <= copied


def test_final_stage_runs_the_bot_unprivileged_with_health_and_stop_signal():
    final = dict(reversed(stages()["final"]))  # the first of each instruction wins
    assert final["USER"] not in ("root", "0")
    assert "/data" in final["VOLUME"]
    assert final["STOPSIGNAL"] == "SIGTERM"
    check = final["HEALTHCHECK"]
    assert json.loads(check[check.index("CMD") + 4:]) == ["tanfwatch", "status", "--check"]
    assert json.loads(final["CMD"]) == ["tanfwatch", "run"]


def test_secrets_and_local_state_stay_out_of_the_image_and_the_repo():
    ignored = (ROOT / ".dockerignore").read_text("utf-8").split()
    assert {".env", ".git", ".venv", "tests", "*.db"} <= set(ignored)
    assert ".env" in (ROOT / ".gitignore").read_text("utf-8").split()
    example = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text("utf-8")
                   .splitlines() if line and not line.startswith("#"))
    assert example == {"TELEGRAM_BOT_TOKEN": "", "TELEGRAM_CHAT_ID": ""}


def _default(value: str) -> str:
    """Compose's ${VAR:-default} with VAR unset."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def test_compose_runs_the_bot_and_a_local_only_datasette_on_one_volume():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    bot, serve = compose["services"]["bot"], compose["services"]["serve"]
    assert bot["env_file"] == ".env"
    assert "env_file" not in serve and "environment" not in serve  # no token for Datasette
    volume = next(v.split(":")[0] for v in bot["volumes"] if v.endswith(":/data"))
    assert volume in compose["volumes"] and f"{volume}:/data" in serve["volumes"]
    assert serve["command"][:2] == ["tanfwatch", "serve"]
    port = serve["command"][serve["command"].index("--port") + 1]
    assert [_default(p) for p in serve["ports"]] == [f"127.0.0.1:8001:{port}"]
