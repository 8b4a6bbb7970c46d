"""Secrets never reach a log line or a printed URL."""

from __future__ import annotations

import logging

import pytest

from bot.redact import SecretFilter, mask_password, mask_passwords_in, mask_url_tokens, password_of, unescaped_at

WEBHOOK_TOKEN = "aB3_dEf-GhIjKlMnOpQrStUvWxYz0123456789abcdefGHIJ"


def test_a_database_password_is_masked() -> None:
    assert mask_password("postgresql+psycopg://bot:s3cret@db:5432/news") == "postgresql+psycopg://bot:***@db:5432/news"
    assert mask_password("sqlite:///data/newsdesk.db") == "sqlite:///data/newsdesk.db"


def test_webhook_and_interaction_tokens_in_urls_are_masked() -> None:
    url = f"POST https://discord.com/api/v10/webhooks/1234567890/{WEBHOOK_TOKEN}?wait=true"
    assert mask_url_tokens(url) == "POST https://discord.com/api/v10/webhooks/1234567890/***?wait=true"
    callback = f"/interactions/99/{WEBHOOK_TOKEN}/callback"
    assert mask_url_tokens(callback) == "/interactions/99/***/callback"
    assert mask_url_tokens("/channels/1/messages/2") == "/channels/1/messages/2"


def test_the_log_filter_rewrites_records_from_any_library(caplog: pytest.LogCaptureFixture) -> None:
    bot_token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.secret-bot-token-value"
    logger = logging.getLogger("discord.http")
    secret_filter = SecretFilter([bot_token, ""])
    caplog.handler.addFilter(secret_filter)
    try:
        with caplog.at_level(logging.DEBUG, logger="discord.http"):
            logger.debug("%s %s has returned %s", "POST", f"/webhooks/5/{WEBHOOK_TOKEN}", 200)
            logger.debug("Authorization: Bot %s", bot_token)
            logger.debug("plain line %s", 1)
    finally:
        caplog.handler.removeFilter(secret_filter)
    text = caplog.text
    assert WEBHOOK_TOKEN not in text and bot_token not in text
    assert "/webhooks/5/*** has returned 200" in text and "Authorization: Bot ***" in text and "plain line 1" in text


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://newsdesk:Ab/9+xZ=@host/db", "postgresql+psycopg://newsdesk:***@host/db"),
        ("postgresql://bot:a:b:c@db.example:5432/news", "postgresql://bot:***@db.example:5432/news"),
        ("postgresql://bot:a%40b%2Fc%3A@db/news?sslmode=require", "postgresql://bot:***@db/news?sslmode=require"),
        ("postgresql://bot:p?x#y@db/news", "postgresql://bot:***@db/news"),
        # An unescaped '@': SQLAlchemy would read 'ss' as part of the host; the whole password is hidden all the same.
        ("postgresql://bot:p@ss@db:5432/news", "postgresql://bot:***@db:5432/news"),
        ("postgresql://bot:p@s/s@db/news", "postgresql://bot:***@db/news"),
        ("bot:s3cret@db/news", "bot:***@db/news"),  # typed without a scheme (the config refuses it, masked)
    ],
    ids=["slash", "colon", "escapes", "query-chars", "at", "at-and-slash", "no-scheme"],
)
def test_every_password_is_masked_whole(url: str, masked: str) -> None:
    assert mask_password(url) == masked


@pytest.mark.parametrize(
    "text", ["postgresql://bot@db/news", "sqlite:///data/newsdesk.db", "sqlite://", "not a url", "", "a: b"]
)
def test_text_without_a_password_is_unchanged(text: str) -> None:
    assert mask_password(text) == text


def test_passwords_inside_free_text_are_masked() -> None:
    text = "cannot reach 'postgresql+psycopg://bot:Ab/9+xZ=@db/news': host=db password='x y z' user=bot; see docs"
    assert mask_passwords_in(text) == (
        "cannot reach 'postgresql+psycopg://bot:***@db/news': host=db password=*** user=bot; see docs"
    )
    assert mask_passwords_in("https://discord.com/api/v10 is fine") == "https://discord.com/api/v10 is fine"


def test_unescaped_at_is_found_only_in_the_password() -> None:
    assert unescaped_at("postgresql://bot:p@ss@db/news")
    assert not unescaped_at("postgresql://bot:p%40ss@db/news")
    assert not unescaped_at("postgresql://bot@db/news?application_name=a@b")
    assert not unescaped_at("sqlite:///data/a@b.db")  # no password: nothing to leak


def test_the_log_filter_masks_database_urls_and_the_password_in_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    url = "postgresql+psycopg://newsdesk:Lq/7:Wv%40Tz@db/news"  # no other test's password (filters pile up)
    logger = logging.getLogger("bot.test")
    secret_filter = SecretFilter([password_of(url)])
    caplog.handler.addFilter(secret_filter)
    try:
        with caplog.at_level(logging.INFO, logger="bot.test"):
            logger.info("opening %s", url)
            try:
                raise RuntimeError(f"driver said: password {password_of(url)} refused for {url}")
            except RuntimeError:
                logger.exception("failed")
    finally:
        caplog.handler.removeFilter(secret_filter)
    text = caplog.text
    assert "Lq/7" not in text and "Wv@Tz" not in text
    assert "opening postgresql+psycopg://newsdesk:***@db/news" in text
    assert "driver said: password *** refused for postgresql+psycopg://newsdesk:***@db/news" in text
