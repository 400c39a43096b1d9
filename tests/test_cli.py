import json

import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from tests.articles import TANF_DRONE, TANF_WELFARE

COMMANDS = ["run", "classify", "check", "search", "sources", "status", "feedback", "export",
            "stories", "show", "chats", "chats list", "chats reset"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and command in result.output


def test_classify_contract(tmp_path):
    records = [
        {"id": "r1", "title": TANF_DRONE["title"], "text": "\n\n".join(TANF_DRONE["paragraphs"])},
        {"id": "r2", "title": TANF_WELFARE["title"],
         "text": "\n\n".join(TANF_WELFARE["paragraphs"])},
        {"id": "r3", "title": "Copy", "text": "\n\n".join(TANF_DRONE["paragraphs"])},
    ]
    stdin = "\n".join(json.dumps(r) for r in records) + "\n"
    result = CliRunner().invoke(cli, ["classify", "-"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["r1", "r2", "r3"]
    assert set(out[0]) == {"id", "relevant", "score", "topics", "duplicate_of", "story"}
    assert out[0]["relevant"] is True and 0 <= out[0]["score"] <= 1
    assert "al-tanf" in out[0]["topics"]
    assert out[1]["relevant"] is False
    assert out[2]["duplicate_of"] == "r1"


def test_classify_with_db_archives_records(tmp_path):
    db = tmp_path / "c.db"
    stdin = json.dumps({"id": "r1", "text": "\n".join(TANF_DRONE["paragraphs"])}) + "\n"
    result = CliRunner().invoke(cli, ["classify", "--db", str(db), "-"], input=stdin)
    assert result.exit_code == 0, result.output
    search = CliRunner().invoke(cli, ["--db", str(db), "search", "garrison", "--json"])
    ids = [h["id"] for h in json.loads(search.stdout)]
    assert ids[0] == "r1"  # the seed articles are in the archive too


def test_classify_reads_corpus_style_source_and_dates(tmp_path):
    db = tmp_path / "c.db"
    text = "\n".join(TANF_DRONE["paragraphs"])
    stdin = json.dumps({"id": "r1", "text": text, "source": "https://www.example.org/a?utm_source=x",
                        "date": "2023-10-19 (inferred)", "language": "other",
                        "language_detail": "fr"}) + "\n"
    result = CliRunner().invoke(cli, ["classify", "--db", str(db), "-"], input=stdin)
    assert result.exit_code == 0, result.output
    shown = CliRunner().invoke(cli, ["--db", str(db), "show", "r1", "--json"])
    article = json.loads(shown.stdout)["article"]
    assert article["canonical_url"] == "https://example.org/a"
    assert article["outlet"] == "example.org"
    assert article["language"] == "fr"
    assert article["published"].startswith("2023-10-19")


def test_classify_reports_bad_lines_and_keeps_going():
    stdin = '{"id": "a", "text": "nothing here"}\nnot json\n{"id": "b"}\n'
    result = CliRunner().invoke(cli, ["classify", "-"], input=stdin)
    assert result.exit_code == 1
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == ["a"]
    assert "line 2: invalid JSON" in result.stderr and "line 3" in result.stderr


def test_check_explains_a_text_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("\n\n".join(TANF_DRONE["paragraphs"]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "RELEVANT" in result.output and "al-Tanf" in result.output
    args = ["--db", str(tmp_path / "n.db"), "check", "--json", str(path)]
    as_json = CliRunner().invoke(cli, args)
    data = json.loads(as_json.stdout)
    assert data["relevant"] and data["hits"] and data["parts"]
    assert all(set(h) >= {"start", "end", "sentence", "term"} for h in data["hits"])


def test_sources_json_lists_configured_sources(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[[sources]]\nname = "x"\nurl = "http://127.0.0.1:9/f"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", str(tmp_path / "a.db"),
                                      "sources", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["name"] == "x" and rows[0]["status"] == "new"
    assert {"url", "kind", "last_error", "last_checked", "consecutive_failures", "entries",
            "new"} <= set(rows[0])


def test_feedback_lists_disputed_and_exports_labels(tmp_path):
    from storage.archive import Archive, ArticleRecord

    db = tmp_path / "f.db"
    archive = Archive.open(db)
    archive.add_article(ArticleRecord(id="a1", text="Drone attack on the al-Tanf garrison.",
                                      title="Tanf attack", relevant=True))
    from datetime import UTC, datetime

    now = datetime(2026, 11, 20, tzinfo=UTC)
    archive.chats.vote("a1", 11, False, chat_id="-100", now=now)
    archive.chats.vote("a1", 12, False, chat_id="-100", now=now)
    archive.close()
    listed = CliRunner().invoke(cli, ["--db", str(db), "feedback"])
    assert listed.exit_code == 0, listed.output
    assert "a1" in listed.stdout and "-2" in listed.stdout
    out = tmp_path / "labels.jsonl"
    exported = CliRunner().invoke(cli, ["--db", str(db), "feedback", "--export", str(out)])
    assert exported.exit_code == 0, exported.output
    [record] = [json.loads(x) for x in out.read_text().splitlines()]
    assert record["id"] == "a1" and record["relevant"] is False and record["text"]
