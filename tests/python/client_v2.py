#!/usr/bin/env python3
"""MCP client check with the official Python SDK 2.x (mcp==2.3.0).

Usage: client_v2.py URL TOKEN [--mode auto|legacy|2026-07-28]

The 2.x API: `mcp.Client` wrapping the `streamable_http_client(url, http_client=...)`
transport, with the bearer token set on an `httpx2.AsyncClient` (2.x dropped
`streamablehttp_client` and its `headers=` argument, and uses httpx2, not httpx).

--mode is passed to `Client(mode=...)`:
  auto        (the SDK default) POST `server/discover` at 2026-07-28 first; if the
              server answers with a JSON-RPC error or an HTTP 4xx/5xx, fall back to
              the `initialize` handshake (which offers 2025-11-25).
  legacy      `initialize` handshake only (2025-11-25, Mcp-Session-Id sessions).
  2026-07-28  adopt the stateless revision without any probe.

Runs the connection handshake, tools/list and tools/call get_organizations {},
then prints ONE JSON line on stdout:
  {"sdk": "<mcp version>", "protocol": "<negotiated protocolVersion>",
   "tools": [names], "call": {"isError": bool, "text": "<first text content>",
                              "structuredContent": {...} | null}}
On failure: a message on stderr and a non-zero exit status (1 for a protocol
or HTTP failure, 2 for bad usage, 3 for the 60 s timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from importlib.metadata import version as package_version

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

TIMEOUT_SECS = 60.0
TOOL_NAME = "get_organizations"
MODES = ("auto", "legacy", "2026-07-28")
HTTP_ERRORS: list[str] = []


def first_text(content: list) -> str | None:
    for block in content:
        if getattr(block, "type", None) == "text":
            return block.text
    return None


async def run(url: str, token: str, mode: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    # Same timeouts as the SDK's own default client: 30 s, 300 s for reading streams.
    timeout = httpx2.Timeout(30.0, read=300.0)
    async def note_http_error(response: httpx2.Response) -> None:
        # The 2.x transport turns HTTP errors into generic JSON-RPC errors (-32603);
        # keep the status so a failure message can name it (e.g. 401 for a bad token).
        if response.status_code >= 400:
            HTTP_ERRORS.append(f"{response.request.method} {response.request.url} -> HTTP {response.status_code}")

    hooks = {"response": [note_http_error]}
    async with httpx2.AsyncClient(headers=headers, timeout=timeout, event_hooks=hooks) as http:
        transport = streamable_http_client(url, http_client=http)
        # cache=None: always ask the server (no client-side ttlMs/cacheScope reuse).
        async with Client(transport, mode=mode, cache=None) as client:
            names: list[str] = []
            cursor: str | None = None
            while True:
                page = await client.list_tools(cursor=cursor)
                names.extend(t.name for t in page.tools)
                cursor = page.next_cursor
                if not cursor:
                    break
            result = await client.call_tool(TOOL_NAME, {})
            return {
                "sdk": package_version("mcp"),
                "protocol": client.protocol_version,
                "tools": names,
                "call": {
                    "isError": bool(result.is_error),
                    "text": first_text(result.content),
                    "structuredContent": result.structured_content,
                },
            }


def leaf_errors(exc: BaseException) -> list[BaseException]:
    """Flatten (nested) exception groups from anyio task groups."""
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, (list, tuple)) and inner:
        out: list[BaseException] = []
        for e in inner:
            out.extend(leaf_errors(e))
        return out
    return [exc]


def describe(exc: BaseException) -> str:
    parts = []
    for e in leaf_errors(exc):
        text = f"{type(e).__name__}: {' '.join(str(e).split())}"
        error = getattr(e, "error", None)  # mcp.MCPError carries the JSON-RPC ErrorData
        code = getattr(error, "code", None)
        if code is not None:
            text += f" (JSON-RPC error {code})"
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status is not None:
            text += f" (HTTP {status})"
        parts.append(text)
    if HTTP_ERRORS:
        parts.append("HTTP errors seen: " + ", ".join(HTTP_ERRORS))
    return "; ".join(parts)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="MCP Python SDK 2.x client check")
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--mode", choices=MODES, default="auto", help="protocol negotiation (default: auto)")
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as e:
        return 2 if e.code else 0
    try:
        out = asyncio.run(asyncio.wait_for(run(args.url, args.token, args.mode), TIMEOUT_SECS))
    except (asyncio.TimeoutError, TimeoutError):
        print(f"client_v2: timed out after {TIMEOUT_SECS:.0f} s talking to {args.url}", file=sys.stderr)
        return 3
    except BaseException as exc:  # noqa: BLE001 - report anything, including exception groups
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"client_v2: MCP session with {args.url} (mode {args.mode}) failed: {describe(exc)}", file=sys.stderr)
        return 1
    print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
