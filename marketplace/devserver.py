"""The embedded default: migrate SQLite, seed the demo, start localstripe, serve the API.

`make run` calls this; Ctrl-C stops the server and everything it started. localstripe (GPL,
test tooling) is started as a separate process from .ci/, never imported by the package.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess  # starts localstripe, a fixed script of ours  # nosec B404
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALSTRIPE_SCRIPT = ROOT / ".ci" / "localstripe_server.py"


def _stripe_answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1) as response:  # noqa: S310  # nosec B310
            return response.status == 200
    except OSError:
        return False


def start_localstripe(port: int) -> subprocess.Popen | None:
    """Start localstripe on 127.0.0.1:port unless one answers there already."""
    base = f"http://127.0.0.1:{port}"
    if _stripe_answers(base):
        print(f"localstripe already answering on {base}")
        return None
    process = subprocess.Popen([sys.executable, str(LOCALSTRIPE_SCRIPT), str(port)])  # noqa: S603  # nosec
    for _ in range(100):
        if _stripe_answers(base):
            print(f"localstripe started on {base}")
            return process
        if process.poll() is not None:
            sys.exit(f"localstripe exited with {process.returncode}; is it installed? (make venv)")
        time.sleep(0.1)
    process.terminate()
    sys.exit("localstripe did not answer within 10 s")


DEMO_INFLUENCERS = 500


def seed_demo_data(app: object, slugs: list[str]) -> None:
    """Top each demo tenant up to DEMO_INFLUENCERS generated influencers, a few brands and campaigns."""
    runner = app.test_cli_runner()  # type: ignore[attr-defined]
    for slug in slugs:
        for args in (["seed-influencers", slug, "--count", str(DEMO_INFLUENCERS)], ["seed-brands", slug]):
            result = runner.invoke(args=args)
            print(result.output, end="")
            if result.exit_code != 0:
                raise SystemExit(f"seeding {slug} failed: {result.output}")
        match_seeded_campaigns(slug)


def match_seeded_campaigns(slug: str) -> None:
    """Run matching once for seeded published campaigns that have no matches yet (the demo shows them)."""
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.models import Campaign, CampaignMatch
    from marketplace.services.matching import run_matching
    from marketplace.services.tenants import tenant_by_slug
    from marketplace.tenancy import tenant_scope

    with tenant_scope(tenant_by_slug(slug).id):
        matched = select(CampaignMatch.campaign_id)
        waiting = (
            db.session.execute(
                select(Campaign.id).where(Campaign.status == "published", Campaign.id.not_in(matched))
            )
            .scalars()
            .all()
        )
        for campaign_id in waiting:
            run_matching(campaign_id)
        if waiting:
            print(f"{slug}: matched {len(waiting)} published campaigns")


def register_webhook(stripe_base: str, port: int, secret: str) -> None:
    """Ask localstripe to deliver its events, signed with `secret`, to this server's platform webhook."""
    form = urllib.parse.urlencode(
        {"url": f"http://127.0.0.1:{port}/api/v1/webhooks/stripe", "secret": secret}
    )
    request = urllib.request.Request(  # noqa: S310 - loopback localstripe
        f"{stripe_base}/_config/webhooks/marketplace-{port}", data=form.encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310  # nosec B310
        pass


def main(argv: list[str] | None = None) -> None:
    """Prepare the embedded default and serve it until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--stripe-port", type=int, default=int(os.environ.get("LOCALSTRIPE_PORT", "8420")))
    args = parser.parse_args(argv)

    os.environ.setdefault("STRIPE_API_BASE", f"http://127.0.0.1:{args.stripe_port}")
    localstripe = start_localstripe(args.stripe_port)

    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.services.tenants import seed_demo

    app = create_app()
    with app.app_context():
        upgrade()
        credentials = seed_demo()
        seed_demo_data(app, [row["tenant"] for row in credentials])
    settings = app.config["MARKETPLACE"]
    register_webhook(f"http://127.0.0.1:{args.stripe_port}", args.port, settings.stripe_webhook_secret)
    print("\nDemo marketplaces (send the slug in the X-Tenant header):")
    for row in credentials:
        print(f"  X-Tenant: {row['tenant']:<5}  admin {row['email']}  password {row['password']}")
    print(f"\nAPI:      http://127.0.0.1:{args.port}/api/v1")
    print(f"Docs:     http://127.0.0.1:{args.port}/api/docs")
    print(f"OpenAPI:  http://127.0.0.1:{args.port}/api/openapi.json")
    print(
        f"Database: {app.config['SQLALCHEMY_DATABASE_URI']}  (jobs run in-process; Ctrl-C stops all)\n",
        flush=True,
    )

    from workers.schedule import start_in_process_sweeper

    sweeper = start_in_process_sweeper(app)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        app.run(host="127.0.0.1", port=args.port, debug=False, use_reloader=False, threaded=True)
    except KeyboardInterrupt:
        pass
    finally:
        sweeper.set()
        if localstripe is not None:
            localstripe.terminate()
            localstripe.wait(timeout=10)
        print("stopped", flush=True)


if __name__ == "__main__":
    main()
