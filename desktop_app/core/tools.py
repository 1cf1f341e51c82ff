"""Tools a model may call: what is offered (`ToolSpec`), what the model asked for (`ToolCall`) and
what went back (`ToolResult`). Typed, immutable and wire-neutral: each provider translates them to
its own shape (OpenAI-compatible `tools` / `tool_calls`, Ollama's `tools` / `message.tool_calls`).

The model's arguments stay the text it sent (`ToolCall.arguments_json`) until the caller parses
them: a call whose arguments never parse is still a call, and the chat loop answers it with an
error result (`ToolArgumentsError` says why in one line) rather than dropping or crashing on it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop_app.core.errors import ParleyError, ProviderError, shorten

_EXCERPT = 80


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model. `parameters` is a JSON Schema object (what MCP's `inputSchema`
    holds); `server` names where the tool lives (an MCP server), never sent to the model."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    server: str = ""


class ToolArgumentsError(ParleyError, ValueError):
    """A call's arguments are not a JSON object. `str()` is one line, fit to send back to the model
    as the error result."""

    def __init__(self, name: str, detail: str) -> None:
        self.name = name
        self.detail = detail
        super().__init__(f"arguments of tool {name!r} are not a JSON object: {detail}")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call the model asked for. `id` pairs it with its result (`ToolResult.call_id`, the tool
    message's `tool_call_id`); providers without ids (Ollama) get stable ones: call_0, call_1, ..."""

    id: str
    name: str
    arguments_json: str = "{}"

    def arguments(self) -> dict[str, Any]:
        """The arguments as a dict; empty text counts as no arguments (`{}`, as several servers
        send for a tool without parameters). Raises `ToolArgumentsError` otherwise."""
        text = self.arguments_json.strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            excerpt = shorten(text, _EXCERPT)
            raise ToolArgumentsError(self.name, f"{excerpt!r} is not valid JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise ToolArgumentsError(self.name, f"got a JSON {type(value).__name__}")
        return value


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a call returned (or why it failed, with `is_error`), as the text the model reads."""

    call_id: str
    name: str
    content: str
    is_error: bool = False


class ToolsNotSupportedError(ProviderError):
    """The provider's API cannot offer tools (Yqcloud takes one text prompt). Raised before
    anything is sent, like `ImagesNotSupportedError`."""

    hint = "Pick a provider that supports tools (OpenAI-compatible or Ollama), or turn the tools off."

    def __init__(self, **kw: Any) -> None:
        super().__init__("this provider cannot call tools", **kw)


__all__ = ["ToolArgumentsError", "ToolCall", "ToolResult", "ToolSpec", "ToolsNotSupportedError"]
