"""Secrets never reach a log line or a printed URL."""

from __future__ import annotations

import logging

import pytest

from bot.redact import SecretFilter, mask_password, mask_url_tokens

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
