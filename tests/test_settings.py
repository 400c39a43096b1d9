from pathlib import Path

import pytest

from bot.settings import ConfigError, Secret, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_config_ships_real_feeds():
    settings = load_settings(env={})
    assert len(settings.sources) >= 10
    assert all(s.url.startswith("https://") for s in settings.sources)
    assert {s.kind for s in settings.sources} <= {"feed", "page", "sitemap", "search", "telegram"}
    assert settings.token is None
    assert str(settings.db_path) == "data/tanfwatch.db"


def test_config_from_env_and_explicit_path(tmp_path):
    path = write(tmp_path, '[[sources]]\nname = "x"\nurl = "http://127.0.0.1:9/feed"\n')
    settings = load_settings(env={"TANFWATCH_CONFIG": str(path), "TANFWATCH_DB": "/tmp/a.db"})
    assert [s.name for s in settings.sources] == ["x"]
    assert settings.sources[0].interval == 600
    assert str(settings.db_path) == "/tmp/a.db"
    other = write(tmp_path,
                  '[[sources]]\nname = "y"\nurl = "http://127.0.0.1:9/f"\ninterval = 60\n')
    assert load_settings(other, env={"TANFWATCH_CONFIG": "/nope"}).sources[0].interval == 60


@pytest.mark.parametrize(
    "text, key",
    [
        ('[[sources]]\nname = "x"\n', "sources[0].url"),
        ('[[sources]]\nurl = "ftp://x/feed"\n', "sources[0].url"),
        ('[[sources]]\nurl = "http://x/feed"\nkind = "rss"\n', "sources[0].kind"),
        ('[[sources]]\nurl = "http://x/feed"\ninterval = "10m"\n', "sources[0].interval"),
        ('[[sources]]\nurl = "http://x/feed"\ncolour = 1\n', "sources[0].colour"),
        ('[tanfwatch]\nfollow_ups = "loud"\n', "follow_ups"),
        ('[tanfwatch]\nbackfill_hours = -1\n', "backfill_hours"),
        ("[[sources]\n", "invalid TOML"),
        ('[tanfwatch]\nfollowups = "mute"\n', "tanfwatch.followups: unknown key"),
        ('[telegram]\nfollow_ups = "mute"\n', "telegram: unknown key"),
        ('[tanfwatch]\nbackfill_hours = 1\n[telegram]\nx = 1\n', "telegram: unknown key"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_settings(write(tmp_path, text), env={})


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.toml", env={})


def test_token_never_shows(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("123456:SECRET-TOKEN\n")
    settings = load_settings(env={"TELEGRAM_BOT_TOKEN_FILE": str(token_file)})
    assert settings.token == Secret("123456:SECRET-TOKEN")
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings.token)
    env = {"TELEGRAM_BOT_TOKEN": "42:OTHER", "TELEGRAM_CHAT_ID": "-1001",
           "TELEGRAM_API_BASE": "http://127.0.0.1:8081/bot"}
    settings = load_settings(env=env)
    assert settings.token.get() == "42:OTHER"
    assert settings.chat_id == "-1001"
    assert settings.api_base == "http://127.0.0.1:8081/bot"


def test_readme_config_example_loads(tmp_path):
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    settings = load_settings(write(tmp_path, block), env={})
    assert {s.kind for s in settings.sources} == {"feed", "search", "telegram"}
    assert settings.follow_ups == "thread" and settings.backfill_hours == 72


def test_archive_url_must_be_a_template(tmp_path):
    ok = load_settings(write(tmp_path, '[tanfwatch]\narchive_url = "https://d.example/a/{id}"\n'),
                       env={})
    assert ok.archive_url == "https://d.example/a/{id}"
    with pytest.raises(ConfigError, match="archive_url"):
        load_settings(write(tmp_path, '[tanfwatch]\narchive_url = "https://d.example/a"\n'),
                      env={})


@pytest.mark.parametrize(
    "text, message",
    [
        ("[tanfwatch]\nconcurrency = 0\n", "concurrency: 0 is out of range"),
        ("[tanfwatch]\nper_host = 0\n", "per_host: 0 is out of range"),
        ("[tanfwatch]\nthreshold = 5\n", "threshold: 5.0 is out of range"),
        ("[tanfwatch]\nthreshold = nan\n", "threshold: nan is out of range"),
        ("[tanfwatch]\ntimeout = 0\n", "timeout: 0.0 is out of range"),
        ("[tanfwatch]\ntimeout = inf\n", "timeout: inf is out of range"),
        ("[tanfwatch]\nmax_bytes = 0\n", "max_bytes: 0 is out of range"),
        ("[tanfwatch]\ndigest_after = -1\n", "digest_after: -1 is out of range"),
        ("[tanfwatch]\nbackfill_hours = 1e300\n", "backfill_hours: 1e\\+300 is out of range"),
        ("[tanfwatch]\nbackfill = -2\n", "backfill: -2.0 is out of range"),
        ("[tanfwatch]\ndb_timeout = -1\n", "db_timeout: -1.0 is out of range"),
        ("[tanfwatch]\nkeep_irrelevant_days = -1\n", "keep_irrelevant_days: -1 is out of range"),
        ("[tanfwatch]\nkeep_irrelevant_days = 1.5\n", "keep_irrelevant_days: expected int"),
        ('[[sources]]\nurl = "http://x/f"\ninterval = 99999999999999999999\n',
         "sources\\[0\\].interval: 99999999999999999999 s is out of range"),
        ('[[sources]]\nurl = "http://x/f"\ninterval = 5\n', "sources\\[0\\].interval: 5 s"),
        ('[[sources]]\nname = ""\nurl = "http://x/f"\n', "sources\\[0\\].name: must not be empty"),
        ('[[sources]]\nname = "  "\nurl = "http://x/f"\n', "sources\\[0\\].name: must not be"),
        ('[[sources]]\nurl = "http://"\n', "sources\\[0\\].url: 'http://' has no host"),
        ('[[sources]]\nurl = "https:///feed"\n', "sources\\[0\\].url: .* has no host"),
        ('[[sources]]\nurl = "http://[::1/f"\n', "sources\\[0\\].url: .* is not a valid URL"),
        ('[tanfwatch]\narchive_url = "ftp://d/{id}"\n', "archive_url: .* is not an http"),
    ],
)
def test_out_of_range_values_are_one_line_naming_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(write(tmp_path, text), env={})
    assert "\n" not in str(caught.value)


def test_invalid_utf8_in_the_config_is_a_config_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'[[sources]]\nname = "caf\xe9"\nurl = "http://x/f"\n')
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 0xe9 at offset 23\)"):
        load_settings(path, env={})


def test_bad_token_file_and_api_base_are_config_errors(tmp_path):
    empty = tmp_path / "token"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN_FILE: .* is empty"):
        load_settings(env={"TELEGRAM_BOT_TOKEN_FILE": str(empty)})
    empty.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN_FILE: cannot read"):
        load_settings(env={"TELEGRAM_BOT_TOKEN_FILE": str(empty)})
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE: 'localhost:8081' is not an http"):
        load_settings(env={"TELEGRAM_API_BASE": "localhost:8081"})


def test_limits_themselves_and_upper_case_schemes_are_accepted(tmp_path):
    text = ('[tanfwatch]\nconcurrency = 1\nper_host = 1\nthreshold = 1\ntimeout = 0.5\n'
            'max_bytes = 1024\ndigest_after = 0\nbackfill_hours = 0\ndb_timeout = 0\n'
            'archive_url = "HTTPS://d.example/a/{id}"\n'
            '[[sources]]\nname = "x"\nurl = "HTTP://Example.org/Feed"\ninterval = 2592000\n')
    settings = load_settings(write(tmp_path, text), env={})
    assert settings.sources[0].url == "http://Example.org/Feed"
    assert settings.sources[0].interval == 30 * 86400
    assert settings.archive_url == "https://d.example/a/{id}"
    assert (settings.concurrency, settings.per_host, settings.threshold, settings.timeout,
            settings.max_bytes, settings.db_timeout) == (1, 1, 1.0, 0.5, 1024, 0.0)


def test_irrelevant_articles_are_kept_180_days_by_default_and_0_keeps_them_for_ever(tmp_path):
    assert load_settings(write(tmp_path, ""), env={}).keep_irrelevant_days == 180
    forever = load_settings(write(tmp_path, "[tanfwatch]\nkeep_irrelevant_days = 0\n"), env={})
    assert forever.keep_irrelevant_days == 0
