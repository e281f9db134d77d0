"""Make sure our extended localstripe answers on 127.0.0.1:PORT; start it detached if nothing does.

A plain localstripe (without the Connect routes our launcher adds) on that port is refused with a
clear message rather than used: the payments tests need accounts and transfers.
"""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
base = f"http://127.0.0.1:{port}"


def answers() -> bool:
    try:
        with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def extended() -> bool:
    request = urllib.request.Request(  # noqa: S310 - a fixed http URL on loopback
        f"{base}/v1/accounts", headers={"Authorization": "Bearer sk_test_ci"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310  # nosec B310
            return json.load(response).get("object") == "list"
    except (OSError, ValueError, urllib.error.HTTPError):
        return False


if not answers():
    log = open(Path("/tmp") / f"localstripe-{port}.log", "ab")  # noqa: SIM115, S108 - outlives this script
    subprocess.Popen(  # noqa: S603
        [sys.executable, str(Path(__file__).with_name("localstripe_server.py")), str(port)],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    for _ in range(100):
        if answers():
            break
        time.sleep(0.1)
    else:
        sys.exit(f"localstripe did not start on {base}; see /tmp/localstripe-{port}.log")
if not extended():
    sys.exit(
        f"{base} answers but is not our extended localstripe (.ci/localstripe_server.py): stop it or "
        "set LOCALSTRIPE_PORT to a free port."
    )
print(f"localstripe (extended) answering on {base}")
