"""The text hygiene every message builder shares (``bot.render.text``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.render.text import (
    as_utc,
    clean_block,
    clean_line,
    discord_timestamp,
    escape_link_label,
    escape_link_url,
    escape_markdown,
    neutralize_mentions,
    strip_controls,
    truncate,
)

ZWSP = "\u200b"


def test_clean_line_collapses_whitespace_and_drops_controls() -> None:
    assert clean_line("  Hello\tworld\r\n again\x00\x07 ") == "Hello world again"
    assert clean_line("") == ""


def test_clean_block_keeps_paragraphs_but_at_most_one_blank_line() -> None:
    assert clean_block("  First  line \r\nsecond\n\n\n\n\nThird\x1b ") == "First line\nsecond\n\nThird"


def test_strip_controls_keeps_newlines_only_when_asked() -> None:
    assert strip_controls("a\tb\r\nc\x00", keep_newlines=True) == "a b\nc"
    assert strip_controls("a\tb\r\nc\x00", keep_newlines=False) == "a b c"


def test_mentions_are_defused_in_every_cleaned_text() -> None:
    text = "@everyone @here <@123> <@!45> <@&67>"
    expected = f"@{ZWSP}everyone @{ZWSP}here <@{ZWSP}123> <@{ZWSP}!45> <@{ZWSP}&67>"
    assert neutralize_mentions(text) == expected
    assert clean_line(text) == expected
    assert clean_block(text) == expected


def test_truncate_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("one two three four", 16) == "one two three…"
    assert truncate("one two\nthree four", 14) == "one two\nthree…"


def test_truncate_cuts_mid_word_when_a_boundary_would_lose_too_much() -> None:
    assert truncate("a " + "x" * 50, 20) == "a " + "x" * 17 + "…"
    assert truncate("anything", 0) == "" and truncate("anything", -3) == ""
    assert truncate("ab", 1) == "…"


def test_escape_markdown_escapes_formatting_and_link_brackets() -> None:
    assert escape_markdown("*bold* _it_ ~s~ |sp| `c` [l](u) \\") == r"\*bold\* \_it\_ \~s\~ \|sp\| \`c\` \[l\](u) \\"
    assert escape_markdown("<t:1:R> # - Plain text, 100%!") == "<t:1:R> # - Plain text, 100%!"


def test_strict_escape_markdown_also_escapes_markup_headings_and_lists() -> None:
    assert escape_markdown("# Title - [l](u) <t:1:R> *x*", strict=True) == (r"\# Title \- \[l\]\(u\) \<t:1:R\> \*x\*")


def test_escape_link_label_escapes_only_what_breaks_a_label() -> None:
    assert escape_link_label(r"A [b] \c *d* (e)") == r"A \[b\] \\c *d* (e)"


def test_escape_link_url_encodes_parentheses() -> None:
    assert escape_link_url("https://w.example/Foo_(bar)") == "https://w.example/Foo_%28bar%29"


def test_as_utc_reads_naive_as_utc_and_converts_aware() -> None:
    naive = datetime(2026, 3, 1, 9, 30)  # noqa: DTZ001  naive on purpose: what as_utc must read as UTC
    assert as_utc(naive) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert as_utc(naive).tzinfo is UTC
    vienna_winter = timezone(timedelta(hours=1))
    converted = as_utc(datetime(2026, 3, 1, 10, 30, tzinfo=vienna_winter))
    assert converted.tzinfo is UTC and converted.hour == 9


def test_discord_timestamp_from_datetimes_and_epoch_seconds() -> None:
    moment = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    epoch = int(moment.timestamp())
    assert discord_timestamp(moment) == f"<t:{epoch}:f>"
    assert discord_timestamp(moment.replace(tzinfo=None), "R") == f"<t:{epoch}:R>", "naive means UTC"
    assert discord_timestamp(epoch + 0.9, "F") == f"<t:{epoch}:F>", "fractions are dropped"
    with pytest.raises(ValueError, match="style"):
        discord_timestamp(moment, "x")
