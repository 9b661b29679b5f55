"""What client_v1.py and client_v2.py share: reading results, describing
failures, and the run-with-timeout-and-print-one-JSON-line driver.

Only the standard library is used here, so it works in both virtual
environments (mcp 1.x and 2.x).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable

TIMEOUT_SECS = 60.0
TOOL_NAME = "get_organizations"


def first_text(content: list) -> str | None:
    """The text of the first text block of a tool result, if any."""
    for block in content:
        if getattr(block, "type", None) == "text":
            return block.text
    return None


def leaf_errors(exc: BaseException) -> list[BaseException]:
    """Flatten (nested) exception groups from anyio task groups."""
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, (list, tuple)) and inner:
        out: list[BaseException] = []
        for e in inner:
            out.extend(leaf_errors(e))
        return out
    return [exc]


def describe(exc: BaseException, http_errors: list[str] | None = None) -> str:
    """One line naming every underlying error, with JSON-RPC codes and HTTP statuses."""
    parts = []
    for e in leaf_errors(exc):
        text = f"{type(e).__name__}: {' '.join(str(e).split())}"
        code = getattr(getattr(e, "error", None), "code", None)  # 2.x MCPError carries ErrorData
        if code is not None:
            text += f" (JSON-RPC error {code})"
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status is not None:
            text += f" (HTTP {status})"
        parts.append(text)
    if http_errors:
        parts.append("HTTP errors seen: " + ", ".join(http_errors))
    return "; ".join(parts)


def report(name: str, url: str, check: Awaitable[dict], http_errors: list[str] | None = None) -> int:
    """Runs `check` with a timeout; prints its result as one JSON line.

    Exit status: 0 ok, 1 protocol or HTTP failure, 3 timeout.
    """
    try:
        out = asyncio.run(asyncio.wait_for(check, TIMEOUT_SECS))
    except (asyncio.TimeoutError, TimeoutError):
        print(f"{name}: timed out after {TIMEOUT_SECS:.0f} s talking to {url}", file=sys.stderr)
        return 3
    except BaseException as exc:  # noqa: BLE001 - report anything, including exception groups
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"{name}: MCP session with {url} failed: {describe(exc, http_errors)}", file=sys.stderr)
        return 1
    print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0
