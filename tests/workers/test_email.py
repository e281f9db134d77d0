"""Notification emails go through a real SMTP server (aiosmtpd) when SMTP_URL is set."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from marketplace.services.mailer import send_notification_email
from marketplace.tenancy import tenant_scope
from tests.factories import make_brand, make_campaign, make_influencer, make_offer, make_tenant
from tests.workers.test_jobs import _drain


class Inbox(Sink):
    """Keeps every message the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp(app: Flask) -> Iterator[Inbox]:
    """A local SMTP server, and the app pointed at it for the test."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = app.config["MARKETPLACE"]
    settings.smtp_url = f"smtp://127.0.0.1:{port}"
    try:
        yield inbox
    finally:
        settings.smtp_url = None
        controller.stop()


def test_offer_notification_is_emailed_once(
    app: Flask, client: FlaskClient, redis_client: Redis, smtp: Inbox
) -> None:
    """Receiving an offer queues one email; the worker sends it; a second run sends nothing more."""
    tenant = make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    influencer = make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    make_offer(brand, influencer, campaign)
    _drain(redis_client)
    to_influencer = [body for rcpt, body in smtp.messages if rcpt == [influencer.email]]
    assert len(to_influencer) == 1
    assert "New offer on Summer street food" in to_influencer[0]
    notification = influencer.get("/api/v1/notifications").get_json()["items"][0]
    with app.app_context(), tenant_scope(tenant.id):
        assert send_notification_email(uuid.UUID(notification["id"])) is False
    assert len([1 for rcpt, _ in smtp.messages if rcpt == [influencer.email]]) == 1
