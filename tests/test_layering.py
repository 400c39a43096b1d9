"""Data flows one way: watchers -> matchers -> storage -> bot. Imports point backwards only."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["watchers", "matchers", "storage", "bot"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ORDER)


@pytest.mark.parametrize("package", ORDER)
def test_imports_point_only_to_earlier_stages(package):
    allowed = set(ORDER[: ORDER.index(package) + 1])
    for path in (ROOT / package).rglob("*.py"):
        wrong = imported_packages(path) - allowed
        assert not wrong, f"{path.relative_to(ROOT)} imports later stage(s) {sorted(wrong)}"


def test_only_settings_reads_the_environment():
    for package in ORDER:
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "settings.py":
                continue
            text = path.read_text("utf-8")
            assert "os.environ" not in text and "os.getenv" not in text, path.name
