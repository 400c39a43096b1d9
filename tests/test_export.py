"""`tanfwatch search/export/stories/show` output: CSV, JSON and NDJSON open in standard tools."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess

import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from tests.test_search import build_dev_archive, dev_records, expect


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "dev.db"
    build_dev_archive(path).close()
    return path


def run(db, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, [*args[:1], "--db", str(db), *args[1:]], env=env)


def relevant_with(word: str) -> set[str]:
    return expect(lambda t: word in t, relevant=True)


def test_search_formats_agree(db):
    as_json = run(db, "search", "garrison", "--format", "json", "-n", "100")
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert {r["id"] for r in rows} == relevant_with("garrison") != set()
    assert isinstance(rows[0]["topics"], list) and "[" in rows[0]["snippet"]
    alias = run(db, "search", "garrison", "--json", "-n", "100")  # the old flag still works
    assert json.loads(alias.stdout) == rows
    nd = run(db, "search", "garrison", "--format", "ndjson", "-n", "100").stdout.splitlines()
    assert [json.loads(line)["id"] for line in nd] == [r["id"] for r in rows]
    table = run(db, "search", "garrison", "-n", "100").stdout
    assert all(r["id"] in table for r in rows) and "[garrison]" in table.lower()
    every = json.loads(run(db, "search", "garrison", "--json", "--all", "-n", "100").stdout)
    assert {r["id"] for r in every} == expect(lambda t: "garrison" in t)


def test_export_csv_opens_in_the_csv_module_and_in_sqlite(db, tmp_path):
    out = tmp_path / "all.csv"
    result = run(db, "export", "--format", "csv", "--all", "--include-duplicates",
                 "--output", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    records = {r["id"]: r for r in dev_records()}
    assert {r["id"] for r in rows} == set(records)
    for row in rows:  # full texts survive quoting: commas, quotes, newlines, Arabic
        assert row["text"] == records[row["id"]]["text"]
        assert row["topics"] == ";".join(records[row["id"]]["topics"])
        assert row["relevant"] == str(int(records[row["id"]]["relevant"]))
    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 command")
    target = tmp_path / "imported.db"
    subprocess.run(["sqlite3", str(target), ".mode csv", f".import {out} articles"],
                   check=True, capture_output=True, timeout=60)
    conn = sqlite3.connect(target)
    assert conn.execute("select count(*) from articles").fetchone()[0] == len(records)
    some = next(iter(records.values()))
    text = conn.execute("select text from articles where id = ?", [some["id"]]).fetchone()[0]
    assert text == some["text"]


def test_export_json_and_ndjson_with_filters_and_a_query(db, tmp_path):
    args = ["--format", "json", "--lang", "ar", "--topic", "al-tanf"]
    result = run(db, "export", *args)
    rows = json.loads(result.stdout)
    expected = {r["id"] for r in dev_records() if r["language"] == "ar" and r["relevant"]
                and "al-tanf" in r["topics"] and not r["dup_of"]}
    assert {r["id"] for r in rows} == expected != set()
    assert all(r["text"] for r in rows) and "exported" in result.stderr
    nd = run(db, "export", "--format", "ndjson", "--no-text", "التنف").stdout.splitlines()
    objs = [json.loads(line) for line in nd]
    assert {o["id"] for o in objs} == relevant_with("التنف") and "text" not in objs[0]
    empty = run(db, "export", "--format", "json", "--since", "2099-01-01")
    assert json.loads(empty.stdout) == []


def test_db_from_the_environment(db):
    result = CliRunner().invoke(cli, ["search", "garrison", "--json"],
                                env={"TANFWATCH_DB": str(db)})
    assert result.exit_code == 0 and json.loads(result.stdout)


def test_malformed_query_is_one_line_and_a_non_zero_exit(db):
    for command in ("search", "export"):
        result = run(db, command, "tanf AND (")
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("Error: bad search query") and "Traceback" not in result.output


def test_missing_archive_and_bad_date_are_errors(tmp_path):
    missing = run(tmp_path / "none.db", "search", "x")
    assert missing.exit_code == 1 and "no archive at" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    bad = run(tmp_path / "none.db", "export", "--since", "March")
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_stories_and_show(db):
    stories = json.loads(run(db, "stories", "--format", "json", "-n", "500").stdout)
    gold = {}
    for r in dev_records():
        if r["story"] and r["relevant"]:
            gold.setdefault(r["story"], set()).add(r["id"])
    assert gold and all(s["id"] for s in stories)
    by_id = {s["id"]: s for s in stories}
    for story, members in gold.items():
        assert by_id[story]["articles"] >= len(members)
    csv_rows = list(csv.DictReader(io.StringIO(run(db, "stories", "--format", "csv").stdout)))
    assert csv_rows and set(csv_rows[0]) >= {"id", "title", "articles", "outlets", "languages"}
    copy = next(r for r in dev_records() if r["dup_of"])
    shown = run(db, "show", copy["dup_of"], "--json")
    detail = json.loads(shown.stdout)
    assert copy["id"] in detail["duplicates"]
    assert detail["urls"][0]["url"] == next(
        r["source"] for r in dev_records() if r["id"] == copy["dup_of"])
    text = run(db, "show", copy["id"]).stdout
    assert f"copy of {copy['dup_of']}" in text
    assert run(db, "show", "no-such-id").exit_code == 1
