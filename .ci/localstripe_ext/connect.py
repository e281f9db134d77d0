"""Connect accounts (express, standard, custom), account links and the test-only onboarding switch.

Routes: POST/GET /v1/accounts, GET/POST/DELETE /v1/accounts/{id}, POST /v1/account_links,
POST /_config/accounts/{id}/enable (marks the account onboarded) and
GET /_config/account_links/{token} (the URL an account link points at: onboards and redirects).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from localstripe.resources import StripeObject, random_id, store, try_convert_to_bool
from localstripe.server import (
    api_create,
    api_delete,
    api_list_all,
    api_retrieve,
    api_update,
    get_post_data,
    json_response,
)

from .handlers import action
from .objects import EmulatedObject
from .params import invalid_request, metadata_param, optional_string, reject_unknown, require

ACCOUNT_TYPES = ("custom", "express", "standard")
BUSINESS_TYPES = ("company", "government_entity", "individual", "non_profit")
LINK_TYPES = ("account_onboarding", "account_update")
LINK_LIFETIME_SECONDS = 300
# What Stripe lists as due on a fresh express account, until the hosted onboarding is done.
DUE_BEFORE_ONBOARDING = ("business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip")
EURO_COUNTRIES = frozenset(
    "AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK".split()  # noqa: SIM905 - readable list
)
COUNTRY_CURRENCIES = {"AU": "aud", "CA": "cad", "CH": "chf", "DK": "dkk", "GB": "gbp", "JP": "jpy"}
COUNTRY_CURRENCIES |= {"NO": "nok", "NZ": "nzd", "PL": "pln", "SE": "sek", "SG": "sgd", "US": "usd"}


def _requirements(due: tuple[str, ...]) -> dict[str, Any]:
    """Stripe's `requirements` hash with `due` currently (and already past) due."""
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


def _requested_capabilities(value: Any) -> dict[str, str]:
    """`capabilities[NAME][requested]=true` -> {NAME: "inactive"} (active once onboarded)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise invalid_request(
            "Invalid capabilities: must be a hash of {requested: boolean}", param="capabilities"
        )
    requested = {}
    for name, options in value.items():
        flag = try_convert_to_bool(options.get("requested"))
        if not isinstance(flag, bool) or set(options) != {"requested"}:
            raise invalid_request("Invalid boolean", param=f"capabilities[{name}][requested]")
        if flag:
            requested[name] = "inactive"
    return requested


def _business_profile(value: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge the `business_profile` hash into the current one."""
    profile = dict(current or {"mcc": None, "name": None, "product_description": None, "url": None})
    if value is None:
        return profile
    if not isinstance(value, dict):
        raise invalid_request("Invalid hash", param="business_profile")
    return profile | value


class Account(EmulatedObject, StripeObject):
    """A connected account; onboarding is completed by the test-only switch or by following a link."""

    object = "account"
    _id_prefix = "acct_"

    def __init__(self, **params: Any) -> None:
        account_type = require(params, "type")
        country = (optional_string(params, "country") or "US").upper()
        email = optional_string(params, "email")
        business_type = optional_string(params, "business_type")
        default_currency = optional_string(params, "default_currency")
        capabilities = _requested_capabilities(params.pop("capabilities", None))
        business_profile = _business_profile(params.pop("business_profile", None))
        metadata = metadata_param(params)
        reject_unknown(params)
        if account_type not in ACCOUNT_TYPES:
            raise invalid_request("Invalid type: must be one of custom, express, or standard", param="type")
        if len(country) != 2 or not country.isalpha():
            raise invalid_request(f"Country '{country}' is unknown.", param="country")
        if business_type is not None and business_type not in BUSINESS_TYPES:
            raise invalid_request(f"Invalid business_type: {business_type}", param="business_type")
        # All refusals happen above: StripeObject.__init__ stores the object.
        super().__init__()
        self.type = account_type
        self.country = country
        self.email = email
        self.business_type = business_type
        self.business_profile = business_profile
        self.capabilities = capabilities
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.default_currency = (default_currency or self._currency_of(country)).lower()
        self.metadata = metadata
        self.requirements = _requirements(DUE_BEFORE_ONBOARDING)
        self.settings = {"payouts": {"schedule": {"interval": "daily", "delay_days": 2}}}
        self.tos_acceptance = {"date": None, "ip": None, "user_agent": None}

    @staticmethod
    def _currency_of(country: str) -> str:
        """The default currency Stripe gives an account of this country (usd when not listed here)."""
        return "eur" if country in EURO_COUNTRIES else COUNTRY_CURRENCIES.get(country, "usd")

    @classmethod
    def _api_update(cls, id: str, **params: Any) -> Account:
        """POST /v1/accounts/{id}: email, business_type, business_profile and metadata."""
        account = cls._get(id)
        changes: dict[str, Any] = {"metadata": metadata_param(params, account.metadata)}
        if "email" in params:
            changes["email"] = optional_string(params, "email") or None
        if "business_type" in params:
            changes["business_type"] = optional_string(params, "business_type") or None
        if "business_profile" in params:
            changes["business_profile"] = _business_profile(
                params.pop("business_profile"), account.business_profile
            )
        reject_unknown(params)
        if changes.get("business_type") not in (None, *BUSINESS_TYPES):
            raise invalid_request(f"Invalid business_type: {changes['business_type']}", param="business_type")
        before = account._export()
        for name, value in changes.items():
            setattr(account, name, value)
        account._emit_changes("account.updated", before, account=account.id)
        return account

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, **params: Any) -> Any:
        """GET /v1/accounts, newest first."""
        reject_unknown(params)
        return cls._newest_first(url, limit, starting_after)

    def _complete_onboarding(self) -> None:
        """What finishing Stripe's hosted onboarding does; emits `account.updated` when anything changed."""
        before = self._export()
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = {name: "active" for name in self.capabilities}
        self.requirements = _requirements(())
        if self.tos_acceptance["date"] is None:
            self.tos_acceptance = {"date": int(time.time()), "ip": "127.0.0.1", "user_agent": "localstripe"}
        self._emit_changes("account.updated", before, account=self.id)


def enable_account(id: str, **params: Any) -> Account:
    """POST /_config/accounts/{id}/enable: the account as if its owner had finished onboarding."""
    reject_unknown(params)
    account = Account._get(id)
    account._complete_onboarding()
    return account


@dataclass
class AccountLink:
    """A pending link (Stripe cannot retrieve links, so this is never exported as an object)."""

    account: str
    refresh_url: str | None
    return_url: str | None
    expires_at: int
    used: bool = False

    @staticmethod
    def store_key(token: str) -> str:
        """Where a link lives in localstripe's store (so DELETE /_config/data forgets it)."""
        return f"account_link:{token}"


async def create_account_link(request: web.Request) -> web.Response:
    """POST /v1/account_links: a single-use URL, on this server, that completes the onboarding."""
    params = dict(await get_post_data(request) or {})
    account_id = require(params, "account")
    link_type = require(params, "type")
    urls = {name: optional_string(params, name) for name in ("refresh_url", "return_url")}
    params.pop("collect", None)  # accepted like Stripe; the emulated onboarding always collects everything
    params.pop("collection_options", None)
    reject_unknown(params)
    if link_type not in LINK_TYPES:
        raise invalid_request(
            "Invalid type: must be one of account_onboarding or account_update", param="type"
        )
    Account._get(account_id, param="account")
    for name, url in urls.items():
        if url is not None and not url.startswith(("http://", "https://")):
            raise invalid_request("Not a valid URL", param=name, code="url_invalid")
    token = random_id(24)
    created = int(time.time())
    expires_at = created + LINK_LIFETIME_SECONDS
    store[AccountLink.store_key(token)] = AccountLink(
        account_id, urls["refresh_url"], urls["return_url"], expires_at
    )
    url = f"{request.scheme}://{request.host}/_config/account_links/{token}"
    return json_response({"object": "account_link", "created": created, "expires_at": expires_at, "url": url})


async def follow_account_link(request: web.Request) -> web.Response:
    """GET /_config/account_links/{token}: onboard, go to return_url (used or expired: refresh_url)."""
    link = store.get(AccountLink.store_key(request.match_info["token"]))
    if not isinstance(link, AccountLink):
        raise web.HTTPNotFound(text="Unknown account link.\n")
    if link.used or link.expires_at < time.time():
        target = link.refresh_url
        message = "This account link was used or has expired.\n"
    else:
        link.used = True
        Account._get(link.account)._complete_onboarding()
        target = link.return_url
        message = f"Account {link.account} is onboarded.\n"
    if target is None:
        return web.Response(text=message)
    raise web.HTTPFound(target)


def install(app: web.Application) -> None:
    """Add the Connect account routes to localstripe's app."""
    url = "/v1/accounts"
    app.router.add_post(url, api_create(Account, url))
    app.router.add_get(url, api_list_all(Account, url))
    app.router.add_get(url + "/{id}", api_retrieve(Account, url))
    app.router.add_post(url + "/{id}", api_update(Account, url))
    app.router.add_delete(url + "/{id}", api_delete(Account, url))
    app.router.add_post("/v1/account_links", create_account_link)
    app.router.add_post("/_config/accounts/{id}/enable", action(enable_account))
    app.router.add_get("/_config/account_links/{token}", follow_account_link)
