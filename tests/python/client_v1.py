#!/usr/bin/env python3
"""MCP client check with the official Python SDK 1.x (mcp==1.30.0).

Usage: client_v1.py URL TOKEN

Connects exactly as the "Connecting to Poggio MCP" guide shows (the deprecated
but still shipped `streamablehttp_client` with an Authorization header), then
runs initialize, tools/list and tools/call get_organizations {}.

Prints ONE JSON line on stdout:
  {"sdk": "<mcp version>", "protocol": "<negotiated protocolVersion>",
   "tools": [names], "call": {"isError": bool, "text": "<first text content>",
                              "structuredContent": {...} | null}}
On failure: a message on stderr and a non-zero exit status (1 for a protocol
or HTTP failure, 2 for bad usage, 3 for the 60 s timeout).
"""

from __future__ import annotations

import sys
import warnings
from importlib.metadata import version as package_version

from mcp_check import TOOL_NAME, first_text, report

# `streamablehttp_client` is deprecated in 1.x in favour of
# `streamable_http_client`; the guide's snippet still uses it, so do we.
warnings.filterwarnings("ignore", category=DeprecationWarning)

from mcp import ClientSession, types  # noqa: E402
from mcp.client.streamable_http import streamablehttp_client  # noqa: E402


async def run(url: str, token: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    async with streamablehttp_client(url=url, headers=headers) as (r, w, _):
        async with ClientSession(read_stream=r, write_stream=w) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            names = [t.name for t in tools.tools]
            while tools.nextCursor:
                tools = await session.list_tools(params=types.PaginatedRequestParams(cursor=tools.nextCursor))
                names.extend(t.name for t in tools.tools)
            result = await session.call_tool(TOOL_NAME, {})
            return {
                "sdk": package_version("mcp"),
                "protocol": init.protocolVersion,
                "tools": names,
                "call": {
                    "isError": bool(result.isError),
                    "text": first_text(result.content),
                    "structuredContent": result.structuredContent,
                },
            }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} URL TOKEN", file=sys.stderr)
        return 2
    url, token = argv[1], argv[2]
    return report("client_v1", url, run(url, token))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
