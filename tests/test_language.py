"""watchers.language: the language of texts and pages that do not declare one."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from watchers.extract import extract_article
from watchers.language import detect_language

try:
    from tests.loopback import FIXTURES
except ModuleNotFoundError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from loopback import FIXTURES  # type: ignore[no-redef]

# short texts written for these tests
TEXTS = [
    ("ar", "قالت مصادر محلية إن طائرات مسيرة استهدفت القاعدة العسكرية قرب الحدود مع الأردن."),
    ("ru", "Местные источники сообщили, что беспилотники атаковали военную базу у границы."),
    ("en", "Local sources said that drones attacked the military base near the border."),
    ("fr", "Des sources locales ont indiqué que des drones ont attaqué la base militaire."),
    ("de", "Örtliche Quellen berichteten, dass Drohnen den Militärstützpunkt angegriffen haben."),
    ("es", "Fuentes locales dijeron que unos drones atacaron la base militar cerca del río."),
    ("tr", "Yerel kaynaklar, insansız hava araçlarının askeri üsse saldırdığını söyledi."),
    ("fa", "منابع محلی گفتند که پهپادها به پایگاه نظامی نزدیک مرز حمله کردند."),
    ("he", "מקורות מקומיים אמרו כי כטב\"מים תקפו את הבסיס הצבאי ליד הגבול."),
]
LANG_ATTRIBUTE = re.compile(rb"""\s(?:xml:)?lang\s*=\s*["']?[A-Za-z-]+["']?""", re.I)


@pytest.mark.parametrize(("language", "text"), TEXTS)
def test_short_texts_in_several_languages(language, text):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", [None, "", "12345 67", "OK", "— · —", "https://t.co/x"])
def test_too_little_text_gives_none(text):
    assert detect_language(text) is None


@pytest.mark.parametrize(("path", "language"), [
    ("html/trafilatura/assabah.com.tn.article.html", "ar"),
    ("html/newspaper4k/html/arabic_article.html", "ar"),
    ("html/trafilatura/football.ua.podolski.html", "ru"),
    ("html/trafilatura/dw.com-elephants.html", "fr"),
])
def test_a_page_without_lang_gets_the_language_of_its_text(path, language):
    page = (FIXTURES / path).read_bytes()
    assert extract_article(page, url="http://127.0.0.1:9/a").language == language
    bare = LANG_ATTRIBUTE.sub(b"", page)
    assert not re.search(rb"<html\b[^>]*\blang\b|content-language", bare, re.I)
    assert extract_article(bare, url="http://127.0.0.1:9/a").language == language


def test_check_on_a_text_file_reports_the_language_of_its_text(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(TEXTS[0][1] * 3, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "n.db"), "check", "--json",
                                      str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["language"] == "ar"
