"""One way to wait for a server the tests start: poll until ready or a deadline, never fail on a transient error.

On a loaded 2-core machine a server that is starting accepts connections long before it answers, so a poll can
be refused, reset, or time out while reading. Each of those is "not ready yet", not a failure: only the deadline,
or the server's own process exiting, ends the wait with an error. Every wait in tests/integration goes through here.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import requests

# How long one poll may take: short enough to poll again soon, long enough for a busy machine to answer.
POLL_TIMEOUT_SECONDS = 5.0


def _output(process: subprocess.Popen | None) -> str:
    if process is None or process.stdout is None:
        return ""
    try:
        return process.stdout.read() or ""
    except (OSError, ValueError):
        return ""


def wait_until(
    ready: Callable[[], bool],
    *,
    seconds: float,
    what: str,
    process: subprocess.Popen | None = None,
    interval: float = 0.5,
) -> None:
    """Call `ready` until it returns True; raise AssertionError after `seconds` or when `process` exits.

    `ready` may raise any `requests.RequestException` (refused, reset, read timeout): that counts as not ready.
    """
    deadline = time.monotonic() + seconds
    last_error = ""
    while True:
        if process is not None and process.poll() is not None:
            code = process.returncode
            raise AssertionError(f"{what}: the process exited ({code}) while waiting:\n{_output(process)}")
        try:
            if ready():
                return
        except requests.RequestException as error:
            last_error = f" (last poll: {type(error).__name__}: {error})"
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not ready after {seconds:.0f} s{last_error}")
        time.sleep(interval)


def wait_for_http(
    url: str,
    *,
    seconds: float,
    what: str,
    process: subprocess.Popen | None = None,
    ok: Callable[[requests.Response], bool] = lambda response: response.status_code == 200,
) -> None:
    """Poll `url` with GET until `ok(response)`; transient errors and other answers retry until the deadline."""
    wait_until(
        lambda: ok(requests.get(url, timeout=POLL_TIMEOUT_SECONDS)),
        seconds=seconds,
        what=what,
        process=process,
    )


# Ray 2.60 gives a local node a fixed 30 s to register with its GCS (ray/_private/node.py, `raylet_start_wait_time_s
# = 30`, not configurable), which a loaded 2-core machine can miss; the process then exits with this message before
# it has done any work, so running it again is safe.
RAY_NODE_START_TIMEOUT = "The current node timed out during startup"


def run_retrying_startup(
    command: list[str], *, transient: str, attempts: int = 3, **kwargs
) -> subprocess.CompletedProcess:
    """`subprocess.run(command, capture_output=True, text=True, **kwargs)`, run again (up to `attempts` times) while
    it fails with the `transient` startup error in its output; any other result is returned as it is."""
    for attempt in range(1, attempts + 1):
        done = subprocess.run(command, capture_output=True, text=True, **kwargs)
        if done.returncode == 0 or transient not in (done.stdout + done.stderr) or attempt == attempts:
            return done
    raise AssertionError("unreachable")
