"""How soon a Check click's results come back, in the demo with L ms per AWS request.

Starts the demo as a user does (``sm-studio-setup demo --no-browser --port P --latency L
--emulator-port E``, the JupyterLab token in ``JUPYTER_TOKEN``), logs in with the token as the
browser does (the login cookie, then ``X-XSRFToken`` from the ``_xsrf`` cookie on every POST),
opens the panel (``GET /sm-studio-setup/context``) and then does what the sidebar's Check
button does: ``POST /sm-studio-setup/check`` with the form's parameters (by default
``{"profile": "image-build"}``). Timed from sending the request to having read the whole
report, which is what the panel then renders (rendering is not counted):

1. the first check of the server (cold: botocore's models are loaded, clients made);
2. N more (warm; within 30 s of the first, so the role's snapshot comes from the cache);
3. N with ``"refresh": true`` (the role read again, as after a fix).

For each, the AWS requests the emulator counted (``POST /_sm_emulator/stats/reset`` before,
``GET /_sm_emulator/stats`` after) and the rounds they took (the longest chain of requests
each started after the previous ended). The target is results within 1 s of the click. The
exit status is 1 only if the demo could not be started or a check failed, never for a slow
figure.

    .venv/bin/python -m benchmarks.check_click [--latency 100] [--warm 5] [--check-first]
                                               [--body JSON] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlencode

from sm_studio_setup.emulator.core.server import CONTROL_PREFIX
from sm_studio_setup.surfaces.routes import NAMESPACE

TARGET_S = 1.0
START_TIMEOUT_S = 120.0


class SetupFailed(RuntimeError):
    """The demo did not come up, or answered something other than a report."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def demo_command(port: int, emulator_port: int, latency: str, root: Path) -> list[str]:
    """The command a user types; the console script beside this interpreter when installed."""
    script = Path(sys.executable).with_name("sm-studio-setup")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "sm_studio_setup"]
    return [*program, *demo_arguments(port, emulator_port, latency, root)]


def demo_arguments(port: int, emulator_port: int, latency: str, root: Path) -> list[str]:
    return [
        "demo",
        "--no-browser",
        "--port",
        str(port),
        "--latency",
        latency,
        "--emulator-port",
        str(emulator_port),
        "--root-dir",
        str(root),
    ]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float
    set_cookies: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Browser:
    """JupyterLab's side of the conversation: cookies as a browser keeps them, and the XSRF
    header ServerConnection adds to every request from the _xsrf cookie."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    _opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(_NoRedirect())
    )

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Answer:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=sent)
        begin = time.perf_counter()
        try:
            with self._opener.open(request, timeout=timeout) as response:
                data = response.read()
                status, got = response.status, response.headers
        except urllib.error.HTTPError as error:
            data = error.read()
            status, got = error.code, error.headers
        seconds = time.perf_counter() - begin
        set_cookies = got.get_all("Set-Cookie") or []
        for header in set_cookies:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return Answer(status, data, seconds, set_cookies)

    def log_in(self, token: str) -> None:
        """The login page, then its form with the token: the browser then holds the login
        cookie (and the _xsrf cookie the page set)."""
        page = self.request("GET", "/login")
        if page.status != 200 or "_xsrf" not in self.cookies:
            raise SetupFailed(f"GET /login answered {page.status} without an _xsrf cookie")
        form = urlencode({"_xsrf": self.cookies["_xsrf"], "password": token}).encode()
        done = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if done.status != 302 or len(self.cookies) < 2:
            raise SetupFailed(f"logging in with the token answered {done.status}")

    def api(self, method: str, route: str, body: Any = None) -> Answer:
        headers = {"X-XSRFToken": self.cookies.get("_xsrf", "")}
        data = None
        if method == "POST":
            headers["Content-Type"] = "application/json"
            data = json.dumps(body if body is not None else {}).encode()
        return self.request(method, f"/{NAMESPACE}/{route}", data, headers)


class Demo:
    """`sm-studio-setup demo` in a process group of its own (the demo and its JupyterLab),
    ended as a whole."""

    def __init__(self, latency: str, log: BinaryIO, root: Path) -> None:
        self.port, self.emulator_port = free_port(), free_port()
        self.latency = latency
        self.token = secrets.token_hex(24)
        self.emulator = f"http://127.0.0.1:{self.emulator_port}"
        env = {**os.environ, "JUPYTER_TOKEN": self.token}
        self.arguments = demo_arguments(self.port, self.emulator_port, latency, root)
        self.command = demo_command(self.port, self.emulator_port, latency, root)
        self.process = subprocess.Popen(
            self.command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.browser = Browser(f"http://127.0.0.1:{self.port}")

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> float:
        """Seconds until /api/status answers the token (and the emulator its health)."""
        begin = time.perf_counter()
        deadline = begin + timeout
        auth = {"Authorization": f"token {self.token}"}
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise SetupFailed(f"the demo exited with status {self.process.returncode}")
            try:
                # A script's request, not the browser's: it keeps no cookie.
                script = Browser(self.browser.base)
                status = script.request("GET", "/api/status", headers=auth, timeout=5)
                if status.status == 200:
                    self.control("health")
                    return time.perf_counter() - begin
            except (OSError, SetupFailed):
                pass
            time.sleep(0.2)
        raise SetupFailed(f"JupyterLab did not answer /api/status within {timeout:g} s")

    def control(self, path: str, post: bool = False) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.emulator}{CONTROL_PREFIX}/{path}",
            data=b"{}" if post else None,
            method="POST" if post else "GET",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                found: dict[str, Any] = json.load(response)
        except OSError as exc:
            raise SetupFailed(f"the emulator's {path} did not answer: {exc}") from exc
        return found

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


@dataclass(frozen=True)
class Click:
    seconds: float
    requests: int
    rounds: int
    verdict: str
    operations: dict[str, int]


def timed(demo: Demo, method: str, route: str, body: Any = None) -> tuple[Click, Any]:
    demo.control("stats/reset", post=True)
    answer = demo.browser.api(method, route, body)
    stats = demo.control("stats")
    if answer.status != 200:
        raise SetupFailed(f"{method} {route} answered {answer.status}: {answer.body[:300]!r}")
    found = answer.json()
    verdict = found.get("verdict", "") if isinstance(found, dict) else ""
    click = Click(
        round(answer.seconds, 3), stats["total"], stats["rounds"], verdict, stats["by_operation"]
    )
    return click, found


def _summary(clicks: list[Click]) -> dict[str, Any]:
    times = [c.seconds for c in clicks]
    return {
        "n": len(clicks),
        "min_s": min(times),
        "median_s": round(statistics.median(times), 3),
        "max_s": max(times),
        "requests": sorted({c.requests for c in clicks}),
        "rounds": sorted({c.rounds for c in clicks}),
        "runs": [c.__dict__ for c in clicks],
    }


def clicks(demo: Demo, warm: int, body: dict[str, Any], check_first: bool) -> dict[str, Any]:
    ready_s = demo.wait_ready()
    demo.browser.log_in(demo.token)
    result: dict[str, Any] = {
        "latency_ms": demo.latency,
        "body": body,
        "command": " ".join(["sm-studio-setup", *demo.arguments]),
        "ready_s": round(ready_s, 2),
        "target_s": TARGET_S,
    }
    if not check_first:
        # The panel reads the identity when it opens, before any click.
        result["context"] = timed(demo, "GET", "context")[0].__dict__
    cold, report = timed(demo, "POST", "check", body)
    result["cold"] = cold.__dict__
    result["findings"] = len(report.get("findings", [])) if isinstance(report, dict) else 0
    result["warm"] = _summary([timed(demo, "POST", "check", body)[0] for _ in range(warm)])
    refreshed = {**body, "refresh": True}
    result["refresh"] = _summary([timed(demo, "POST", "check", refreshed)[0] for _ in range(warm)])
    return result


def measure(latency: str, warm: int, body: dict[str, Any], check_first: bool) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="sm-bench-click-") as tmp,
        open(Path(tmp) / "demo.log", "wb") as log,
    ):
        demo = Demo(latency, log, Path(tmp))
        try:
            return clicks(demo, warm, body, check_first)
        except SetupFailed:
            demo.stop()
            log.flush()
            sys.stderr.write((Path(tmp) / "demo.log").read_text(errors="replace")[-3000:])
            raise
        finally:
            demo.stop()


def _requests(summary: dict[str, Any]) -> str:
    requests = "/".join(str(r) for r in summary["requests"])
    rounds = "/".join(str(r) for r in summary["rounds"])
    return f"{requests} AWS requests in {rounds} rounds"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", default="100", metavar="MS|MIN-MAX")
    parser.add_argument("--warm", type=int, default=5, metavar="N")
    parser.add_argument(
        "--body",
        default='{"profile": "image-build"}',
        help="the check's JSON body, as the sidebar's form sends it",
    )
    parser.add_argument(
        "--check-first",
        action="store_true",
        help="click Check before the panel has read the identity (the coldest check)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    body = json.loads(args.body)
    if not isinstance(body, dict) or args.warm < 1:
        parser.error("--body must be a JSON object and --warm at least 1")
    # Ended by a signal, the demo's process group is still stopped (measure's finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        result = measure(args.latency, args.warm, body, args.check_first)
    except SetupFailed as exc:
        print(f"check_click: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    cold, warm, fresh = result["cold"], result["warm"], result["refresh"]
    print(
        f"demo at {args.latency} ms per AWS request: JupyterLab ready after "
        f"{result['ready_s']} s; check body {json.dumps(body)}"
    )
    if "context" in result:
        context = result["context"]
        print(
            f"  panel open (GET context): {context['seconds']:.2f} s, "
            f"{context['requests']} AWS requests in {context['rounds']} rounds"
        )
    print(
        f"check at {args.latency} ms latency: cold {cold['seconds']:.2f} s "
        f"({cold['requests']} AWS requests in {cold['rounds']} rounds), warm median "
        f"{warm['median_s']:.2f} s (min {warm['min_s']:.2f}, max {warm['max_s']:.2f}, "
        f"n={warm['n']}), {_requests(warm)}; target: < {TARGET_S:g} s"
    )
    print(
        f"check with refresh: true: median {fresh['median_s']:.2f} s (min "
        f"{fresh['min_s']:.2f}, max {fresh['max_s']:.2f}, n={fresh['n']}), {_requests(fresh)}"
    )
    worst = max(cold["seconds"], warm["max_s"], fresh["max_s"])
    print(
        f"verdict {cold['verdict']} with {result['findings']} findings; slowest "
        f"{worst:.2f} s: {'within' if worst < TARGET_S else 'OVER'} the {TARGET_S:g} s target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
