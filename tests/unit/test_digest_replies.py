"""What /digest answers: errors name the option with an example, lists fit an embed, outcomes are plain."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.digest.replies import (
    config_owned_text,
    digest_line,
    list_text,
    not_found_text,
    option_error,
    outcome_text,
)
from bot.digest.runner import RunOutcome
from bot.digest_spec import make_spec
from bot.options import OptionError
from bot.store.digest_tables import CONFIG_GUILD
from bot.store.digests import DigestRow, RunStatus


def row(guild_id: int = 1, **options: object) -> DigestRow:
    options = {"name": "morning_news", "channel_id": 42, "time": "09:00", "timezone": "Europe/Vienna", **options}
    return DigestRow(7, guild_id, make_spec(**options))  # type: ignore[arg-type]


def test_option_error_names_the_option_and_shows_an_example() -> None:
    text = option_error(OptionError("time", "expected HH:MM on a 24-hour clock, got '9am'", "09:00"))
    assert text == "`time`: expected HH:MM on a 24-hour clock, got '9am'. Example: `09:00`"


def test_digest_line() -> None:
    moment = datetime(2026, 12, 1, 8, tzinfo=UTC)
    line = digest_line(row(topics="AI, Security", min_quality=40), moment)
    assert line.startswith("**morning\\_news** → <#42> · `09:00 daily (Europe/Vienna)` · next <t:1796112000:F>")
    assert "AI, Security, quality ≥ 40, up to 10 stories, at least 1" in line
    assert "config file" in digest_line(row(CONFIG_GUILD), None) and "not scheduled" in digest_line(row(), None)


def test_list_text_fits_an_embed() -> None:
    assert "/digest schedule" in list_text([])
    text = list_text(["x" * 300] * 40)
    assert len(text) <= 4096 and text.endswith("more")


def test_outcomes() -> None:
    assert outcome_text(RunOutcome(RunStatus.SENT, 3, (1,)), 42) == "Posted 3 stories to <#42> in 1 message."
    assert outcome_text(RunOutcome(RunStatus.SENT, 1, (1,)), 42) == "Posted 1 story to <#42> in 1 message."
    failed = outcome_text(RunOutcome(RunStatus.FAILED, error="missing permissions: Missing Access"), 42)
    assert "Missing Access" in failed and "stays scheduled" in failed


def test_config_owned_digests_point_to_the_config_file() -> None:
    text = config_owned_text(row(CONFIG_GUILD))
    assert text.startswith("Digest **morning_news** is declared in the bot's config file (`digests:`)")


def test_an_unknown_name_is_echoed_escaped_and_defused() -> None:
    assert not_found_text(" morning ") == "No digest named **morning** here; `/digest list` shows them."
    assert (
        not_found_text("`x`*@everyone")
        == "No digest named **\\`x\\`\\*@\u200beveryone** here; `/digest list` shows them."
    )
