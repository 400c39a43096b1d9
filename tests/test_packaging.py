"""Packaging: every declared dependency is used, and building the project warns about nothing."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["bot", "watchers", "matchers", "storage"]
# Needed without being imported by our code (each with the reason).
NOT_IMPORTED = {
    "lxml-html-clean": "trafilatura's HTML cleaning imports it through lxml.html.clean",
    "sniffio": "httpcore imports it per request if present; a failing import costs ~30%",
}


def _requirement(spec: str) -> tuple[str, set[str]]:
    """('python-telegram-bot', {'job-queue'}) from 'python-telegram-bot[job-queue]>=22'."""
    req = Requirement(spec)
    return canonicalize_name(req.name), {canonicalize_name(e) for e in req.extras}


def _declared() -> dict[str, set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return dict(_requirement(spec) for spec in project["dependencies"])


def _imported_distributions() -> set[str]:
    """The distributions that provide the top-level modules our packages import."""
    modules = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    providers = metadata.packages_distributions()
    return {canonicalize_name(dist) for module in modules for dist in providers.get(module, [])}


def _extra_requirements(dist: str, extra: str) -> set[str]:
    """What ``dist[extra]`` adds on this interpreter (markers evaluated, as pip does)."""
    names = set()
    for spec in metadata.requires(dist) or []:
        req = Requirement(spec)
        if req.marker and req.marker.evaluate({"extra": extra}) \
                and not req.marker.evaluate({"extra": ""}):
            names.add(canonicalize_name(req.name))
    return names


def test_every_declared_dependency_is_imported():
    unused = set(_declared()) - _imported_distributions() - set(NOT_IMPORTED)
    assert not unused, f"declared in pyproject.toml but never imported: {sorted(unused)}"


def test_every_extra_brings_something_used_and_not_declared_on_its_own():
    declared, imported = _declared(), _imported_distributions()
    for dist, extras in declared.items():
        for extra in extras:
            brought = _extra_requirements(dist, extra)
            assert brought, f"{dist}[{extra}] adds nothing"
            unused = brought - imported
            assert not unused, f"{dist}[{extra}] brings unused {sorted(unused)}"
            assert not brought & set(declared), f"{dist}[{extra}] only repeats {sorted(brought)}"


BUILD = """
import json, sys, warnings
from setuptools import build_meta
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wheel = getattr(build_meta, sys.argv[1])(sys.argv[2])
print(json.dumps({"wheel": wheel, "warnings": [f"{w.category.__name__}: {w.message}"
                                               for w in caught]}))
"""


def _build(hook: str, out: Path) -> tuple[Path, list[str]]:
    """Run a PEP 517/660 hook of the declared backend as pip does; the wheel and the warnings."""
    proc = subprocess.run([sys.executable, "-c", BUILD, hook, str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return out / result["wheel"], [w.splitlines()[0] for w in result["warnings"]]


def test_editable_build_warns_about_nothing(tmp_path):
    # What `pip install -e .` in scripts/setup runs; pip prints every one of these warnings.
    wheel, warnings = _build("build_editable", tmp_path)
    assert warnings == []
    assert wheel.is_file()


def test_wheel_ships_the_data_files_and_warns_about_nothing(tmp_path):
    wheel, warnings = _build("build_wheel", tmp_path)  # what the Dockerfile's builder runs
    assert warnings == []
    names = set(zipfile.ZipFile(wheel).namelist())
    seeds = {n for n in names if n.startswith("storage/seeds/")}
    assert "storage/seeds/seeds.toml" in seeds and len(seeds) >= 2
    assert {"bot/default_config.toml", "bot/datasette_metadata.json",
            "matchers/topics.toml"} <= names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
