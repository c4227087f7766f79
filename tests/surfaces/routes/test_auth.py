"""Every REST call is authenticated and XSRF-protected: each route of ``route_paths()``, with
each method openapi.yaml gives it, is refused without credentials and when a cross-site page
rides the login cookie, and goes through with the cookie and its XSRF header.

What a request reached is recorded by stand-ins for the Service, the build manager and the
plan store (every route's work begins with one of them): a refused request must leave the
record empty, and one let through is answered by the stand-in's own 418, which tells it got
past jupyter_server's checks and the handler's, and so that the refusals were for the missing
credential or XSRF token, not for a bad body. The server runs with
``allow_unauthenticated_access`` (jupyter_server's default): the refusal must come from the
handlers' ``@tornado.web.authenticated``, so a handler without it fails these tests.
"""

from __future__ import annotations

import inspect
import json
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest
import tornado.web
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPResponse
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from sm_studio_setup.emulator.core.server import CONTROL_PREFIX
from sm_studio_setup.errors import SetupError
from sm_studio_setup.surfaces.routes import NAMESPACE, handlers, route_paths

from ...openapi import spec, validate

BUILD_ID = "b-20260101T000000Z-abcdef"
FOREIGN = "https://attacker.example"
IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-studio-d-x:latest"
# A body each POST route accepts, so that a request let through reaches the route's work.
BODIES: dict[str, dict[str, Any]] = {
    "check": {"profile": "image-build"},
    "fix/plan": {"profile": "image-build"},
    "fix/apply": {"plan_id": "p-1"},
    "fix/undo/plan": {"backup_id": "x"},
    "fix/undo": {"backup_id": "x"},
    "builds": {"context": ""},
    "builds/{build_id}/stop": {},
    "attach": {"image_uri": IMAGE_URI, "image_name": "from-rest"},
}
_HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def served() -> list[tuple[str, str]]:
    """(METHOD, route) for every route and every method openapi.yaml documents for it."""
    paths = spec()["paths"]
    return [
        (method.upper(), route)
        for route in route_paths()
        for method in paths[f"/{NAMESPACE}/{route}"]
        if method in _HTTP_METHODS
    ]


SERVED = served()
POSTS = [(m, r) for m, r in SERVED if m == "POST"]
GETS = [(m, r) for m, r in SERVED if m == "GET"]


def _ids(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{m} {r}" for m, r in pairs]


def concrete(route: str) -> str:
    return route.replace("{build_id}", BUILD_ID)


def handler_for(route: str) -> tuple[type[tornado.web.RequestHandler], dict[str, str]]:
    """The handler tornado routes ``route`` (its build id filled in) to, and its arguments."""
    path = url_path_join(NAMESPACE, concrete(route))
    found = [
        (handler, match.groupdict())
        for pattern, handler in handlers()
        if (match := re.fullmatch(pattern, path))
    ]
    assert len(found) == 1, (route, found)
    return found[0]


# --- what a request reached ----------------------------------------------------------------


class Reached(SetupError):
    code = "reached"
    http_status = 418


class Recorder:
    """Stands in for a Service, the BuildManager or the PlanStore: any method used is
    recorded, then answered with Reached."""

    def __init__(self, what: str, calls: list[str]) -> None:
        self._what = what
        self._calls = calls

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append(f"{self._what}.{name}")
            raise Reached(f"{self._what}.{name} was called")

        return call


@pytest.fixture
def jp_server_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"sm_studio_setup": True},
            # jupyter_server's default, explicit: the server itself then lets a request to a
            # handler without an authentication rule through, so only the handlers'
            # @tornado.web.authenticated refuses it.
            "allow_unauthenticated_access": True,
        },
        "SmStudioSetupApp": {"records_dir": str(tmp_path / "records")},
    }


@pytest.fixture
def reached(jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The routes' work replaced by recorders; the list of what they were asked."""
    settings = jp_serverapp.web_app.settings
    assert settings["allow_unauthenticated_access"] is True
    calls: list[str] = []

    def service() -> Recorder:
        calls.append("Service()")
        return Recorder("service", calls)

    monkeypatch.setitem(settings, "sm_studio_setup_service_factory", service)
    monkeypatch.setitem(settings, "sm_studio_setup_builds", Recorder("builds", calls))
    monkeypatch.setitem(settings, "sm_studio_setup_plans", Recorder("plans", calls))
    return calls


# --- a browser -----------------------------------------------------------------------------


@dataclass
class Answer:
    code: int
    body: Any

    @property
    def error(self) -> dict[str, Any]:
        validate(self.body, "ErrorBody")
        found: dict[str, Any] = self.body["error"]
        return found


@dataclass
class Browser:
    """Sends requests as a browser does: with the cookies it was given, and the token, the
    XSRF header, the Origin and Referer only when told to."""

    client: Any
    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    login_cookies: set[str] = field(default_factory=set)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.client.get_http_port()}"

    def _keep(self, response: HTTPResponse) -> set[str]:
        names: set[str] = set()
        for header in response.headers.get_list("Set-Cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
                names.add(name)
        return names

    async def open_login_page(self) -> None:
        """GET /login: the page (as any visitor gets it) sets the _xsrf cookie."""
        page = await self.client.fetch(
            url_path_join(self.base_url, "login"), raise_error=False, follow_redirects=False
        )
        assert page.code == 200, page.code
        self._keep(page)
        assert self.cookies.get("_xsrf"), self.cookies

    async def log_in(self, token: str) -> None:
        """What the user does once: the token typed into /login, which sets the login cookie."""
        await self.open_login_page()
        done = await self.client.fetch(
            url_path_join(self.base_url, "login"),
            method="POST",
            body=urlencode({"_xsrf": self.cookies["_xsrf"], "password": token}),
            headers={
                "Cookie": self.cookie_header(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
            raise_error=False,
            follow_redirects=False,
        )
        assert done.code == 302, (done.code, done.body[:300])
        self.login_cookies = self._keep(done) - {"_xsrf"}
        assert self.login_cookies, "the login set no cookie"

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    async def send(
        self,
        method: str,
        route: str,
        *,
        cookies: bool = True,
        xsrf_header: bool = False,
        token: str | None = None,
        origin: str | None = None,
        content_type: str = "application/json",
    ) -> Answer:
        headers: dict[str, str] = {}
        if cookies and self.cookies:
            headers["Cookie"] = self.cookie_header()
        if xsrf_header:
            headers["X-XSRFToken"] = self.cookies["_xsrf"]
        if token is not None:
            headers["Authorization"] = f"token {token}"
        if origin is not None:
            headers["Origin"] = origin
            headers["Referer"] = f"{origin}/page.html"
        body = None
        if method == "POST":
            headers["Content-Type"] = content_type
            body = json.dumps(BODIES[route])
        response = await self.client.fetch(
            url_path_join(self.base_url, NAMESPACE, concrete(route)),
            method=method,
            headers=headers,
            body=body,
            raise_error=False,
            follow_redirects=False,
        )
        try:
            found = json.loads(response.body) if response.body else None
        except ValueError:
            found = response.body
        return Answer(response.code, found)


@pytest.fixture
def browser(http_server_client: Any, jp_base_url: str) -> Browser:
    """A browser that has not logged in."""
    return Browser(http_server_client, jp_base_url)


@pytest.fixture
def token(jp_serverapp: Any) -> str:
    found: str = jp_serverapp.identity_provider.token
    assert found
    return found


def assert_reached(answer: Answer, calls: list[str]) -> None:
    assert answer.code == 418, answer
    assert answer.error["code"] == "reached"
    assert calls and calls[-1] != "Service()", calls


# --- the list is every route and every method -----------------------------------------------


def test_the_list_is_every_route_with_every_method_it_serves() -> None:
    assert {route for _, route in SERVED} == set(route_paths())
    for route in route_paths():
        handler, _ = handler_for(route)
        implemented = {
            m.upper()
            for m in _HTTP_METHODS
            if getattr(handler, m) is not getattr(tornado.web.RequestHandler, m)
        }
        documented = {m for m, r in SERVED if r == route}
        assert implemented == documented, route
    assert {route for _, route in POSTS} == set(BODIES)


# --- the handlers themselves ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "route"), SERVED, ids=_ids(SERVED))
async def test_each_handler_method_refuses_when_there_is_no_user(
    jp_serverapp: Any, reached: list[str], method: str, route: str
) -> None:
    """The method itself, called with ``current_user`` None (as tornado calls it after a
    prepare that found no user), raises 403 before doing anything."""
    handler_class, arguments = handler_for(route)
    uri = url_path_join(jp_serverapp.base_url, NAMESPACE, concrete(route))
    request = HTTPServerRequest(
        start_line=RequestStartLine(method, uri, "HTTP/1.1"),
        headers=HTTPHeaders({"Host": "127.0.0.1", "Content-Type": "application/json"}),
        body=json.dumps(BODIES.get(route, {})).encode(),
        connection=mock.Mock(),
    )
    handler = handler_class(jp_serverapp.web_app, request)
    handler.current_user = None
    with pytest.raises(tornado.web.HTTPError) as err:
        result = getattr(handler, method.lower())(**arguments)
        if inspect.isawaitable(result):
            await result
    assert err.value.status_code == 403
    assert reached == []


# --- (a) no credentials ----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "route"), SERVED, ids=_ids(SERVED))
async def test_a_request_without_token_or_cookie_is_refused(
    browser: Browser, reached: list[str], method: str, route: str
) -> None:
    answer = await browser.send(method, route)
    assert answer.code == 403, answer
    assert answer.error["code"] == "forbidden"
    assert reached == []


@pytest.mark.parametrize(("method", "route"), SERVED, ids=_ids(SERVED))
async def test_a_request_with_a_valid_xsrf_pair_but_no_login_is_refused(
    browser: Browser, reached: list[str], method: str, route: str
) -> None:
    """Anyone may fetch /login and so hold an _xsrf cookie and send it back as the header:
    XSRF then passes, and only authentication is left to refuse the request."""
    await browser.open_login_page()
    answer = await browser.send(method, route, xsrf_header=True, origin=browser.origin)
    assert answer.code == 403, answer
    assert answer.error["code"] == "forbidden"
    assert "xsrf" not in answer.error["message"].lower()  # refused as unauthenticated
    assert reached == []


# --- (b) cross-site requests riding the login cookie -------------------------------------------


@pytest.mark.parametrize(("method", "route"), SERVED, ids=_ids(SERVED))
async def test_a_cross_site_request_with_the_login_cookie_is_refused(
    browser: Browser, token: str, reached: list[str], method: str, route: str
) -> None:
    """A page of another site makes the browser send the request with its cookies (a form
    posts JSON as text/plain): no XSRF header, a foreign Origin and Referer. jupyter_server
    hides the API from a foreign origin (404 in 2.x) before XSRF is checked (403); the same
    route then answers the page itself, so the 404 is the refusal, not a missing route."""
    await browser.log_in(token)
    answer = await browser.send(method, route, origin=FOREIGN, content_type="text/plain")
    assert answer.code in (403, 404), answer
    assert answer.error["code"] in ("forbidden", "http_error")
    assert reached == []

    own = await browser.send(method, route, xsrf_header=True, origin=browser.origin)
    assert_reached(own, reached)


@pytest.mark.parametrize(("method", "route"), POSTS, ids=_ids(POSTS))
async def test_a_cookie_post_is_refused_for_want_of_the_xsrf_token_alone(
    browser: Browser, token: str, reached: list[str], method: str, route: str
) -> None:
    """(b) without Origin (a browser may leave it out of a form's POST), then (c) the same
    request with the XSRF header: refused, then let through, so XSRF decided."""
    await browser.log_in(token)
    refused = await browser.send(method, route, content_type="text/plain")
    assert refused.code == 403, refused
    assert refused.error["code"] == "forbidden"
    assert "_xsrf" in refused.error["message"]
    assert reached == []

    let_through = await browser.send(method, route, xsrf_header=True, content_type="text/plain")
    assert_reached(let_through, reached)


# --- (c) the sidebar's own requests ----------------------------------------------------------


@pytest.mark.parametrize(("method", "route"), SERVED, ids=_ids(SERVED))
async def test_the_cookie_and_its_xsrf_header_from_the_page_itself_are_let_through(
    browser: Browser, token: str, reached: list[str], method: str, route: str
) -> None:
    """What JupyterLab sends: the login cookie, X-XSRFToken from the _xsrf cookie, and its
    own Origin."""
    await browser.log_in(token)
    answer = await browser.send(method, route, xsrf_header=True, origin=browser.origin)
    assert_reached(answer, reached)


@pytest.mark.parametrize(("method", "route"), GETS, ids=_ids(GETS))
async def test_a_get_needs_the_login_cookie_only(
    browser: Browser, token: str, reached: list[str], method: str, route: str
) -> None:
    await browser.log_in(token)
    answer = await browser.send(method, route)
    assert_reached(answer, reached)
    reached.clear()
    # The same browser without its login cookie: refused.
    for name in browser.login_cookies:
        del browser.cookies[name]
    assert (await browser.send(method, route)).code == 403
    assert reached == []


@pytest.mark.parametrize(("method", "route"), SERVED, ids=_ids(SERVED))
async def test_the_token_header_needs_no_xsrf(
    browser: Browser, token: str, reached: list[str], method: str, route: str
) -> None:
    """jupyter_server exempts token-authenticated requests from XSRF: a cross-site page
    cannot set the Authorization header (nor read the token)."""
    answer = await browser.send(method, route, token=token)
    assert_reached(answer, reached)
    reached.clear()
    wrong = await browser.send(method, route, token="not-the-token")
    assert wrong.code == 403, wrong
    assert reached == []


# --- against the emulator: a refused request makes no AWS request ----------------------------


def aws_requests(env: dict[str, str]) -> int:
    url = env["AWS_ENDPOINT_URL"] + CONTROL_PREFIX + "/stats"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return int(json.load(answer)["total"])


async def test_refused_requests_make_no_aws_request(
    browser: Browser, token: str, demo_env: dict[str, str]
) -> None:
    """With the real Service (no recorders): every route, without credentials and cross-site
    with the login cookie, leaves the emulator's request counter where it was; the sidebar's
    own check then moves it, so the counter does count."""
    stranger = Browser(browser.client, browser.base_url)
    await browser.log_in(token)
    before = aws_requests(demo_env)
    for method, route in SERVED:
        assert (await stranger.send(method, route)).code == 403, (method, route)
        cross = await browser.send(method, route, origin=FOREIGN, content_type="text/plain")
        assert cross.code in (403, 404), (method, route, cross)
        if method == "POST":
            no_xsrf = await browser.send(method, route, content_type="text/plain")
            assert no_xsrf.code == 403, (method, route, no_xsrf)
    assert aws_requests(demo_env) == before

    report = await browser.send("POST", "check", xsrf_header=True, origin=browser.origin)
    assert report.code == 200, report
    validate(report.body, "Report")
    assert aws_requests(demo_env) > before
