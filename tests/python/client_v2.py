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
import sys
from importlib.metadata import version as package_version

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_check import TOOL_NAME, first_text, report
MODES = ("auto", "legacy", "2026-07-28")
HTTP_ERRORS: list[str] = []


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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="MCP Python SDK 2.x client check")
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--mode", choices=MODES, default="auto", help="protocol negotiation (default: auto)")
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as e:
        return 2 if e.code else 0
    return report(f"client_v2 (mode {args.mode})", args.url, run(args.url, args.token, args.mode), HTTP_ERRORS)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
