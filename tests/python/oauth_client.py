#!/usr/bin/env python3
"""OAuth check with the official Python SDK 1.x (mcp==1.30.0): its own client.

Usage: oauth_client.py BASE_URL [USERNAME PASSWORD]
  BASE_URL  Portico's public URL (e.g. http://127.0.0.1:8080); the MCP
            endpoint is BASE_URL/mcp. Env: PORTICO_BASE_URL.
  USERNAME, PASSWORD  the Podio (simulator) sign-in. Env: PORTICO_OAUTH_USERNAME,
            PORTICO_OAUTH_PASSWORD.

Nothing is configured by hand: `OAuthClientProvider` gets a 401 from /mcp,
discovers the protected resource and authorization server metadata,
registers itself dynamically and starts an authorization-code flow with
PKCE. Its `redirect_handler` plays the browser with httpx: it opens the
authorization URL, follows the redirects to the sign-in pages, fills in the
login form and presses "allow" (the forms are read with `html.parser`),
follows the callback, and stops at the redirect to the client's own
redirect_uri, whose `code` and `state` go to the `callback_handler`.

With the token the SDK obtained, the script initializes and calls
get_organizations; then it marks the access token expired, so the SDK's own
refresh path posts the refresh_token grant before the next request, and calls
the tool again with the rotated token.

Prints ONE JSON line on stdout:
  {"sdk", "protocol", "tools_ok", "org_count", "orgs": [names],
   "registered": bool, "authorizations": N, "pages": [...], "iss",
   "refreshed": bool, "rotated": bool, "new_access_token": bool,
   "second_call_ok": bool, "second_call_token_is_new": bool,
   "token_grants": [grant_type, ...], "token_statuses": [HTTP status, ...]}
On failure: a message on stderr and a non-zero exit status (1 for a protocol,
OAuth or HTTP failure, 2 for bad usage, 3 for the 60 s timeout).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from html.parser import HTMLParser
from importlib.metadata import version as package_version
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from mcp_check import TOOL_NAME, report

warnings.filterwarnings("ignore", category=DeprecationWarning)

import httpx  # noqa: E402
from mcp import ClientSession  # noqa: E402
from mcp.client.auth import OAuthClientProvider  # noqa: E402
from mcp.client.streamable_http import streamablehttp_client  # noqa: E402
from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: E402
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken  # noqa: E402

# Nothing listens here: the browser stops at the redirect to it.
REDIRECT_URI = "http://127.0.0.1:33418/oauth/callback"
MAX_HOPS = 20

# Filled in as the run goes, named in the failure message.
problems: list[str] = []


class Fail(Exception):
    """A check that did not hold."""


class MemoryStorage:
    """The SDK's `TokenStorage`, in memory; keeps every token set it was given."""

    def __init__(self) -> None:
        self.history: list[OAuthToken] = []
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.history[-1] if self.history else None

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.history.append(tokens)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class FormParser(HTMLParser):
    """Reads every `<form>` of a page: id, action, method and what a browser
    would submit (named inputs; checkboxes and radios only when checked;
    submit buttons left out, as only the one clicked is sent)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict] = {}
        self._current: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "form":
            self._current = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": []}
            self.forms[a.get("id", f"form{len(self.forms)}")] = self._current
        elif tag == "input" and self._current is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._current["fields"].append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_of(html: str) -> dict[str, dict]:
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


class Browser:
    """The provider's redirect and callback handlers: a user who signs in
    and allows, played with httpx."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.authorizations = 0
        self.pages: list[str] = []
        self.iss: str | None = None
        self._result: tuple[str, str | None] | None = None

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorizations += 1
        try:
            self._result = await self._walk(authorization_url)
        except Exception as exc:
            problems.append(f"browser: {exc}")
            raise

    async def callback_handler(self) -> tuple[str, str | None]:
        if self._result is None:
            raise Fail("the callback handler ran without a finished sign-in")
        result, self._result = self._result, None
        return result

    async def _walk(self, url: str) -> tuple[str, str | None]:
        target = urlsplit(REDIRECT_URI)
        async with httpx.AsyncClient(follow_redirects=False, timeout=30.0) as http:
            request = http.build_request("GET", url)
            for _ in range(MAX_HOPS):
                response = await http.send(request)
                where = f"{request.method} {request.url.copy_with(query=None)}"
                if response.is_redirect:
                    location = urljoin(str(response.url), response.headers["location"])
                    parts = urlsplit(location)
                    if (parts.scheme, parts.netloc, parts.path) == (target.scheme, target.netloc, target.path):
                        query = parse_qs(parts.query)
                        if "error" in query:
                            raise Fail(f"{where} redirected to the client with an error: {location}")
                        if "code" not in query:
                            raise Fail(f"{where} redirected to the client without a code: {location}")
                        self.iss = query.get("iss", [None])[0]
                        return query["code"][0], query.get("state", [None])[0]
                    request = http.build_request("GET", location)
                    continue
                body = response.text
                if response.status_code != 200:
                    raise Fail(f"{where} answered {response.status_code}: {' '.join(body.split())[:500]}")
                forms = forms_of(body)
                if "login-form" in forms:
                    form, page = forms["login-form"], "login"
                    fields = [(k, v) for k, v in form["fields"] if k not in ("username", "password")]
                    fields += [("username", self.username), ("password", self.password)]
                elif "allow-form" in forms:
                    form, page = forms["allow-form"], "allow"
                    fields = [*form["fields"], ("decision", "allow")]
                else:
                    raise Fail(f"{where} showed a page with neither form: {' '.join(body.split())[:500]}")
                self.pages.append(page)
                if form["method"] != "post":
                    raise Fail(f"the {page} form's method is {form['method']!r}, not post")
                request = http.build_request(
                    "POST",
                    urljoin(str(response.url), form["action"]),
                    content=urlencode(fields).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            raise Fail(f"no redirect to {REDIRECT_URI} after {MAX_HOPS} hops")


class Recorder:
    """httpx event hooks on the MCP client: which token grants the SDK posted
    (and their answers), and which bearer token each MCP request carried."""

    def __init__(self, mcp_url: str) -> None:
        self.mcp_path = urlsplit(mcp_url).path
        self.grants: list[str] = []
        self.token_statuses: list[int] = []
        self.mcp_calls: list[tuple[str, int]] = []  # (bearer, status)

    async def on_response(self, response: httpx.Response) -> None:
        request = response.request
        path = request.url.path
        if request.method == "POST" and path.endswith("/token"):
            body = parse_qs(request.content.decode("utf-8", "replace"))
            grant = body.get("grant_type", ["?"])[0]
            self.grants.append(grant)
            self.token_statuses.append(response.status_code)
            if response.status_code != 200:
                await response.aread()
                problems.append(f"POST {path} ({grant}) answered {response.status_code}: {response.text[:500]}")
        elif request.method == "POST" and path == self.mcp_path:
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            self.mcp_calls.append((bearer, response.status_code))
        elif response.status_code >= 400 and path != self.mcp_path:
            await response.aread()
            problems.append(f"{request.method} {path} answered {response.status_code}: {response.text[:300]}")

    def factory(self, headers=None, timeout=None, auth=None) -> httpx.AsyncClient:
        client = create_mcp_http_client(headers=headers, timeout=timeout, auth=auth)
        client.event_hooks["response"].append(self.on_response)
        return client


def org_names(result) -> list[str]:
    if result.isError:
        raise Fail(f"{TOOL_NAME} returned an error: {result.content}")
    orgs = (result.structuredContent or {}).get("organizations")
    if not isinstance(orgs, list):
        raise Fail(f"{TOOL_NAME} returned no organizations: {result.structuredContent}")
    return [o.get("name") for o in orgs]


async def run(base_url: str, username: str, password: str) -> dict:
    url = base_url.rstrip("/") + "/mcp"
    storage = MemoryStorage()
    browser = Browser(username, password)
    recorder = Recorder(url)
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="portico-python-sdk-oauth-check",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    async with streamablehttp_client(url, auth=provider, httpx_client_factory=recorder.factory) as (r, w, _):
        async with ClientSession(read_stream=r, write_stream=w) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            orgs = org_names(await session.call_tool(TOOL_NAME, {}))
            if not storage.history:
                raise Fail("the SDK stored no tokens")
            first = storage.history[-1]
            if not first.refresh_token:
                raise Fail("the token response carried no refresh_token")
            if browser.authorizations != 1:
                raise Fail(f"expected one authorization, the SDK ran {browser.authorizations}")

            # Expire the access token as far as the SDK knows: before sending
            # the next request it refreshes (its own `_refresh_token` path).
            provider.context.token_expiry_time = time.time() - 60
            grants_before = len(recorder.grants)
            calls_before = len(recorder.mcp_calls)
            second_orgs = org_names(await session.call_tool(TOOL_NAME, {}))
            latest = storage.history[-1]
            refresh_answers = [
                s for g, s in zip(recorder.grants[grants_before:], recorder.token_statuses[grants_before:])
                if g == "refresh_token"
            ]
            refreshed = refresh_answers == [200] and len(storage.history) == 2
            if not refreshed:
                raise Fail(
                    f"the SDK did not refresh once (refresh answers {refresh_answers}, "
                    f"{len(storage.history)} token sets stored)"
                )
            if browser.authorizations != 1:
                raise Fail("the SDK fell back to a new authorization instead of refreshing")
            new_calls = recorder.mcp_calls[calls_before:]
            second_ok = bool(new_calls) and all(s < 400 for _, s in new_calls)
            second_token_new = bool(new_calls) and all(b == latest.access_token for b, _ in new_calls)
            return {
                "sdk": package_version("mcp"),
                "protocol": init.protocolVersion,
                "tools_ok": TOOL_NAME in [t.name for t in tools.tools],
                "org_count": len(orgs),
                "orgs": orgs,
                "second_orgs": second_orgs,
                "registered": storage.client_info is not None and bool(storage.client_info.client_id),
                "client_id": storage.client_info.client_id if storage.client_info else None,
                "authorizations": browser.authorizations,
                "pages": browser.pages,
                "iss": browser.iss,
                "refreshed": refreshed,
                "rotated": latest.refresh_token is not None and latest.refresh_token != first.refresh_token,
                "new_access_token": latest.access_token != first.access_token,
                "second_call_ok": second_ok,
                "second_call_token_is_new": second_token_new,
                "token_grants": recorder.grants,
                "token_statuses": recorder.token_statuses,
            }


def main(argv: list[str]) -> int:
    args = argv[1:]
    if len(args) not in (0, 1, 3):
        print(f"usage: {argv[0]} BASE_URL [USERNAME PASSWORD]", file=sys.stderr)
        return 2
    base_url = args[0] if args else os.environ.get("PORTICO_BASE_URL", "")
    username = args[1] if len(args) == 3 else os.environ.get("PORTICO_OAUTH_USERNAME", "")
    password = args[2] if len(args) == 3 else os.environ.get("PORTICO_OAUTH_PASSWORD", "")
    if not (base_url and username and password):
        print(
            f"usage: {argv[0]} BASE_URL [USERNAME PASSWORD] "
            "(or PORTICO_BASE_URL, PORTICO_OAUTH_USERNAME, PORTICO_OAUTH_PASSWORD)",
            file=sys.stderr,
        )
        return 2
    return report("oauth_client", base_url, run(base_url, username, password), problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
