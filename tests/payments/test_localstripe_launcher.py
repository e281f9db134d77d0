"""The extended localstripe (.ci/localstripe_server.py) speaks Connect, transfers and idempotency keys."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe

LAUNCHER = Path(__file__).resolve().parents[2] / ".ci" / "localstripe_server.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _control(base: str, path: str, form: dict[str, str] | None = None, method: str = "POST") -> Any:
    """Call a test-only /_config route (not part of Stripe's API, so not reachable through the SDK)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body.strip() else None


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The launcher on a free loopback port, stopped after the module."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("localstripe") / "launcher.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, str(LAUNCHER), str(port)], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1):
                    break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"launcher exited: {log_path.read_text()}")
                time.sleep(0.1)
        else:
            pytest.fail("launcher did not answer")
        yield base
    finally:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture
def stripe_client(launcher: str) -> stripe.StripeClient:
    """The official SDK pointed at the launcher, without retries so refusals surface at once."""
    return stripe.StripeClient(api_key="sk_test_x", base_addresses={"api": launcher}, max_network_retries=0)


def _account(client: stripe.StripeClient, **extra: Any) -> stripe.Account:
    return client.v1.accounts.create(
        {
            "type": "express",
            "country": "FR",
            "email": "ines@example.com",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"influencer_id": "42"},
            **extra,
        }
    )


def _onboarded_account(client: stripe.StripeClient, base: str) -> stripe.Account:
    account = _account(client)
    _control(base, f"/_config/accounts/{account.id}/enable")
    return client.v1.accounts.retrieve(account.id)


def _paid_intent(client: stripe.StripeClient, amount: int = 5000, **extra: Any) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create({"amount": amount, "currency": "eur", **extra})
    client.v1.payment_intents.update(intent.id, {"payment_method": "pm_card_visa"})
    return client.v1.payment_intents.confirm(intent.id)


def _charge_id(intent: stripe.PaymentIntent) -> str:
    charge = intent.latest_charge
    return charge if isinstance(charge, str) else charge.id


def test_account_create_retrieve_update_list(stripe_client: stripe.StripeClient) -> None:
    """An express account starts not onboarded, and can be retrieved, updated and listed."""
    account = _account(stripe_client)
    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert (account.type, account.country, account.email, account.default_currency) == (
        "express",
        "FR",
        "ines@example.com",
        "eur",
    )
    assert not account.charges_enabled and not account.payouts_enabled and not account.details_submitted
    assert account.capabilities.to_dict() == {"transfers": "inactive"}
    assert account.metadata.to_dict() == {"influencer_id": "42"}
    assert account.created > 0
    assert stripe_client.v1.accounts.retrieve(account.id).to_dict() == account.to_dict()

    updated = stripe_client.v1.accounts.update(account.id, {"metadata": {"tier": "gold"}})
    assert updated.metadata.to_dict() == {"influencer_id": "42", "tier": "gold"}

    other = _account(stripe_client)
    listed = [a.id for a in stripe_client.v1.accounts.list({"limit": 100}).data]
    assert listed.index(other.id) < listed.index(account.id)  # newest first, like Stripe


def test_account_refusals_are_stripe_shaped(stripe_client: stripe.StripeClient) -> None:
    """Unknown accounts answer 404 resource_missing; bad parameters name the parameter."""
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.accounts.retrieve("acct_nothere")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.accounts.create({"type": "express", "colour": "blue"})
    assert (unknown.value.http_status, unknown.value.param) == (400, "colour")
    assert unknown.value.json_body["error"]["type"] == "invalid_request_error"


def test_account_link(stripe_client: stripe.StripeClient) -> None:
    """An onboarding link is a URL with an expiry; an unknown account is refused on `account`."""
    account = _account(stripe_client)
    link = stripe_client.v1.account_links.create(
        {
            "account": account.id,
            "refresh_url": "http://127.0.0.1:5000/refresh",
            "return_url": "http://127.0.0.1:5000/return",
            "type": "account_onboarding",
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith("http://127.0.0.1:")
    assert link.expires_at > link.created

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.account_links.create(
            {"account": "acct_nothere", "return_url": "http://x/r", "type": "account_onboarding"}
        )
    assert refused.value.http_status == 400
    assert (refused.value.param, refused.value.code) == ("account", "resource_missing")


def test_following_an_account_link_onboards_once(stripe_client: stripe.StripeClient) -> None:
    """The link's URL completes onboarding and redirects to return_url; a second visit goes to refresh_url."""
    account = _account(stripe_client)
    link = stripe_client.v1.account_links.create(
        {
            "account": account.id,
            "refresh_url": "http://127.0.0.1:9/refresh",
            "return_url": "http://127.0.0.1:9/return",
            "type": "account_onboarding",
        }
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    locations = []
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(link.url, timeout=5)
        assert redirect.value.code == 302
        locations.append(redirect.value.headers["Location"])
    assert locations == ["http://127.0.0.1:9/return", "http://127.0.0.1:9/refresh"]
    assert stripe_client.v1.accounts.retrieve(account.id).payouts_enabled


def test_enable_emits_account_updated(stripe_client: stripe.StripeClient, launcher: str) -> None:
    """The test-only switch onboards the account and records account.updated with previous_attributes."""
    account = _onboarded_account(stripe_client, launcher)
    assert account.details_submitted and account.charges_enabled and account.payouts_enabled
    assert account.capabilities.to_dict() == {"transfers": "active"}

    events = stripe_client.v1.events.list({"type": "account.updated", "limit": 100}).data
    [event] = [e for e in events if e.data.object.id == account.id]
    assert event.account == account.id
    assert event.data.object.payouts_enabled is True
    assert event.data.previous_attributes.payouts_enabled is False


def test_transfer_to_an_onboarded_account(stripe_client: stripe.StripeClient, launcher: str) -> None:
    """A transfer to an onboarded account is created in Stripe's shape and emits transfer.created."""
    account = _onboarded_account(stripe_client, launcher)
    transfer = stripe_client.v1.transfers.create(
        {
            "amount": 8500,
            "currency": "eur",
            "destination": account.id,
            "transfer_group": "contract_1",
            "metadata": {"payout_id": "7"},
        }
    )
    assert transfer.id.startswith("tr_")
    assert (transfer.object, transfer.amount, transfer.currency) == ("transfer", 8500, "eur")
    assert (transfer.destination, transfer.transfer_group) == (account.id, "contract_1")
    assert (transfer.reversed, transfer.amount_reversed) == (False, 0)
    assert transfer.reversals.data == [] and transfer.reversals.total_count == 0
    assert transfer.metadata.to_dict() == {"payout_id": "7"}
    assert stripe_client.v1.transfers.retrieve(transfer.id).to_dict() == transfer.to_dict()
    created = stripe_client.v1.events.list({"type": "transfer.created", "limit": 100}).data
    assert transfer.id in [e.data.object.id for e in created]


def test_transfer_refusals(stripe_client: stripe.StripeClient) -> None:
    """No transfer to an account not onboarded, to an unknown account, or of a non-positive amount."""
    pending = _account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as not_onboarded:
        stripe_client.v1.transfers.create({"amount": 100, "currency": "eur", "destination": pending.id})
    assert not_onboarded.value.param == "destination"
    assert not_onboarded.value.code == "insufficient_capabilities_for_transfer"

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.transfers.create({"amount": 100, "currency": "eur", "destination": "acct_nothere"})
    assert (unknown.value.http_status, unknown.value.param) == (400, "destination")
    assert unknown.value.code == "resource_missing"

    for amount in (0, -5):
        with pytest.raises(stripe.InvalidRequestError) as non_positive:
            stripe_client.v1.transfers.create(
                {"amount": amount, "currency": "eur", "destination": pending.id}
            )
        assert non_positive.value.param == "amount"


def test_reversals_partial_full_and_too_much(stripe_client: stripe.StripeClient, launcher: str) -> None:
    """Reversals add up to the transfer and never beyond; each one emits transfer.reversed."""
    account = _onboarded_account(stripe_client, launcher)
    transfer = stripe_client.v1.transfers.create(
        {"amount": 1000, "currency": "eur", "destination": account.id}
    )

    partial = stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 300})
    assert partial.id.startswith("trr_")
    assert (partial.object, partial.amount, partial.transfer) == ("transfer_reversal", 300, transfer.id)
    after_partial = stripe_client.v1.transfers.retrieve(transfer.id)
    assert (after_partial.amount_reversed, after_partial.reversed) == (300, False)

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 701})
    assert too_much.value.param == "amount"

    rest = stripe_client.v1.transfers.reversals.create(transfer.id)
    assert rest.amount == 700
    after_full = stripe_client.v1.transfers.retrieve(transfer.id)
    assert (after_full.amount_reversed, after_full.reversed) == (1000, True)
    assert [r.id for r in after_full.reversals.data] == [rest.id, partial.id]
    assert [r.id for r in stripe_client.v1.transfers.reversals.list(transfer.id).data] == [
        rest.id,
        partial.id,
    ]
    assert stripe_client.v1.transfers.reversals.retrieve(transfer.id, partial.id).amount == 300

    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.reversals.create(transfer.id, {"amount": 1})
    reversed_events = stripe_client.v1.events.list({"type": "transfer.reversed", "limit": 100}).data
    assert [e.data.object.id for e in reversed_events].count(transfer.id) == 2


def test_transfers_listed_by_transfer_group(stripe_client: stripe.StripeClient, launcher: str) -> None:
    """GET /v1/transfers?transfer_group= lists that group's transfers only, newest first."""
    account = _onboarded_account(stripe_client, launcher)
    group = f"contract_{time.time_ns()}"
    ids = [
        stripe_client.v1.transfers.create(
            {"amount": amount, "currency": "eur", "destination": account.id, "transfer_group": group}
        ).id
        for amount in (100, 200)
    ]
    stripe_client.v1.transfers.create({"amount": 300, "currency": "eur", "destination": account.id})
    listed = stripe_client.v1.transfers.list({"transfer_group": group})
    assert [t.id for t in listed.data] == ids[::-1]


def test_payment_intent_with_transfer_group_and_description(
    stripe_client: stripe.StripeClient, launcher: str
) -> None:
    """A PaymentIntent keeps transfer_group and description; its charge inherits both and funds a transfer."""
    intent = _paid_intent(stripe_client, 5000, transfer_group="contract_9", description="Campaign 9 funding")
    assert intent.status == "succeeded"
    assert (intent.transfer_group, intent.description) == ("contract_9", "Campaign 9 funding")
    charge = stripe_client.v1.charges.retrieve(_charge_id(intent))
    assert (charge.transfer_group, charge.description) == ("contract_9", "Campaign 9 funding")

    account = _onboarded_account(stripe_client, launcher)
    transfer = stripe_client.v1.transfers.create(
        {
            "amount": 4000,
            "currency": "eur",
            "destination": account.id,
            "source_transaction": charge.id,
            "transfer_group": "contract_9",
        }
    )
    assert transfer.source_transaction == charge.id
    with pytest.raises(stripe.InvalidRequestError) as beyond_charge:
        stripe_client.v1.transfers.create(
            {"amount": 1001, "currency": "eur", "destination": account.id, "source_transaction": charge.id}
        )
    assert beyond_charge.value.param == "amount"


def test_refund_with_reason(stripe_client: stripe.StripeClient) -> None:
    """Refunds take Stripe's reason; a reason Stripe does not know is refused."""
    intent = _paid_intent(stripe_client, 3000)
    refund = stripe_client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 1000, "reason": "requested_by_customer"}
    )
    assert (refund.amount, refund.reason) == (1000, "requested_by_customer")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create({"payment_intent": intent.id, "reason": "bored"})
    assert refused.value.param == "reason"


def test_idempotency_key_replays_the_first_response(
    stripe_client: stripe.StripeClient, launcher: str
) -> None:
    """The same key and body replays the same object; another body or endpoint is an idempotency_error."""
    account = _onboarded_account(stripe_client, launcher)
    params = {"amount": 1200, "currency": "eur", "destination": account.id, "transfer_group": "contract_3"}
    key = f"payout-{time.time_ns()}"
    first = stripe_client.v1.transfers.create(params, {"idempotency_key": key})
    again = stripe_client.v1.transfers.create(params, {"idempotency_key": key})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert [t.id for t in stripe_client.v1.transfers.list({"transfer_group": "contract_3"}).data] == [
        first.id
    ]

    with pytest.raises(stripe.IdempotencyError) as other_body:
        stripe_client.v1.transfers.create({**params, "amount": 1300}, {"idempotency_key": key})
    assert other_body.value.http_status == 400
    assert other_body.value.json_body["error"]["type"] == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.customers.create({"email": "a@b.c"}, {"idempotency_key": key})


def test_refused_request_is_not_remembered(stripe_client: stripe.StripeClient, launcher: str) -> None:
    """A 400 refusal is not stored under its key: the same request succeeds once the cause is fixed."""
    account = _account(stripe_client)
    params = {"amount": 500, "currency": "eur", "destination": account.id}
    key = f"payout-{time.time_ns()}"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.create(params, {"idempotency_key": key})
    _control(launcher, f"/_config/accounts/{account.id}/enable")
    assert stripe_client.v1.transfers.create(params, {"idempotency_key": key}).amount == 500


def test_flushing_data_forgets_accounts_and_keys(stripe_client: stripe.StripeClient, launcher: str) -> None:
    """DELETE /_config/data also clears accounts, transfers and idempotency keys."""
    account = _account(stripe_client)
    key = f"customer-{time.time_ns()}"
    customer = stripe_client.v1.customers.create({"email": "a@b.c"}, {"idempotency_key": key})
    _control(launcher, "/_config/data", method="DELETE")
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.retrieve(account.id)
    assert stripe_client.v1.customers.create({"email": "a@b.c"}, {"idempotency_key": key}).id != customer.id


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, queue.Queue[tuple[bytes, str]]]]:
    """A loopback HTTP server collecting (body, Stripe-Signature) of every POST."""
    received: queue.Queue[tuple[bytes, str]] = queue.Queue()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook", received
    server.shutdown()
    server.server_close()


def test_account_updated_is_delivered_signed(
    stripe_client: stripe.StripeClient,
    launcher: str,
    webhook_receiver: tuple[str, queue.Queue[tuple[bytes, str]]],
) -> None:
    """account.updated reaches a registered webhook with a signature the SDK verifies."""
    url, received = webhook_receiver
    secret = "whsec_launcher_test"
    _control(launcher, f"/_config/webhooks/launcher_test_{time.time_ns()}", {"url": url, "secret": secret})
    account = _onboarded_account(stripe_client, launcher)

    deadline = time.monotonic() + 10
    while True:
        body, signature = received.get(timeout=max(deadline - time.monotonic(), 0.1))
        event = stripe.Webhook.construct_event(body.decode(), signature, secret)
        if event.type == "account.updated" and event.data.object.id == account.id:
            break
    assert event.account == account.id
    assert event.data.object.payouts_enabled is True
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.decode(), signature, "whsec_wrong")


def _control_refusal(base: str, path: str, form: dict[str, str]) -> dict[str, Any]:
    with pytest.raises(urllib.error.HTTPError) as refused:
        _control(base, path, form)
    assert refused.value.code == 400
    return json.loads(refused.value.read())["error"]


def test_a_dispute_opens_on_a_charge_and_ends_with_test_mode_evidence(
    stripe_client: stripe.StripeClient, launcher: str
) -> None:
    """Stripe's test mode: winning_evidence wins, losing_evidence or close loses; each end emits closed."""
    ends = {}
    for ending in ("winning_evidence", "losing_evidence", "close", "under_review"):
        intent = _paid_intent(stripe_client, amount=4200)
        form = {"charge": _charge_id(intent), "reason": "duplicate"}
        dispute = _control(launcher, "/_config/disputes", form)
        assert dispute["id"].startswith("dp_")
        assert (dispute["object"], dispute["amount"], dispute["currency"]) == ("dispute", 4200, "eur")
        assert (dispute["charge"], dispute["status"], dispute["reason"]) == (
            _charge_id(intent),
            "needs_response",
            "duplicate",
        )
        if ending == "close":
            stripe_client.v1.disputes.close(dispute["id"])
        elif ending == "under_review":  # other evidence: submitted, waiting for the bank
            stripe_client.v1.disputes.update(dispute["id"], {"evidence": {"uncategorized_text": "receipts"}})
        else:
            stripe_client.v1.disputes.update(dispute["id"], {"evidence": {"uncategorized_text": ending}})
        ends[ending] = stripe_client.v1.disputes.retrieve(dispute["id"])
        listed = stripe_client.v1.disputes.list({"payment_intent": intent.id}).data
        assert [d.id for d in listed] == [dispute["id"]]
    assert {ending: d.status for ending, d in ends.items()} == {
        "winning_evidence": "won",
        "losing_evidence": "lost",
        "close": "lost",
        "under_review": "under_review",
    }
    events = stripe_client.v1.events.list({"limit": 100}).auto_paging_iter()
    seen = [(e.type, e.data.object.id) for e in events if e.type.startswith("charge.dispute.")]
    for ending, dispute in ends.items():
        assert ("charge.dispute.created", dispute.id) in seen
        assert (("charge.dispute.closed", dispute.id) in seen) == (ending != "under_review")


def test_dispute_refusals(stripe_client: stripe.StripeClient, launcher: str) -> None:
    """One dispute per charge, of at most its amount, on a known charge; a closed dispute stays closed."""
    path = "/_config/disputes"
    assert _control_refusal(launcher, path, {"charge": "ch_nothere"})["code"] == "resource_missing"
    intent = _paid_intent(stripe_client, amount=1000)
    charge = _charge_id(intent)
    assert _control_refusal(launcher, path, {"charge": charge, "amount": "1001"})["param"] == "amount"
    dispute = _control(launcher, path, {"charge": charge})
    assert _control_refusal(launcher, path, {"charge": charge})["param"] == "charge"  # one per charge
    stripe_client.v1.disputes.close(dispute["id"])
    winning = {"evidence": {"uncategorized_text": "winning_evidence"}}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.disputes.update(dispute["id"], winning)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.disputes.retrieve("dp_nothere")
    assert missing.value.http_status == 404
