"""Make sure localstripe answers on 127.0.0.1:PORT; start it detached if not (used by make test)."""

import subprocess
import sys
import time
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
print(f"localstripe answering on {base}")
