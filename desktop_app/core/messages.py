"""Chat messages and the prompt format shared by every provider."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from desktop_app.core.attachments import DocumentPart, ImagePart, Part
from desktop_app.core.tools import ToolCall, ToolResult, ToolSpec


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"  # a tool's result, answering one of the assistant's `tool_calls`


@dataclass(frozen=True, slots=True)
class Message:
    """A chat message: its text, and the images and documents attached to it (if any).

    Tools: an assistant message may carry the `tool_calls` it made (its `content` is the text
    before them, often empty); a `Role.TOOL` message is one call's result, with that call's
    `tool_call_id` and the tool's `name`. Text-only paths (`as_dict`, `format_prompt`) see only
    `content`."""

    role: Role
    content: str
    parts: tuple[Part, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""
    name: str = ""

    @classmethod
    def assistant_calls(cls, calls: Iterable[ToolCall], content: str = "") -> Message:
        """The assistant's turn that asked for `calls` (after the text `content`, if any)."""
        return cls(Role.ASSISTANT, content, tool_calls=tuple(calls))

    @classmethod
    def tool_result(cls, result: ToolResult) -> Message:
        """A `role: tool` message answering one call. An error result is sent as its text: the
        model reads why the call failed."""
        return cls(Role.TOOL, result.content, tool_call_id=result.call_id, name=result.name)

    @property
    def images(self) -> tuple[ImagePart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ImagePart))

    @property
    def documents(self) -> tuple[DocumentPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, DocumentPart))

    def text_with_documents(self) -> str:
        """The text a text-only reader gets: the message, then each document under its name
        (images are not part of it; see `without_images`)."""
        documents = [d.as_text() for d in self.documents]
        return "\n\n".join([self.content, *documents]) if documents else self.content

    def without_images(self) -> Message:
        """This message for a model that reads text only: each image becomes a line naming it."""
        images = self.images
        if not images:
            return self
        placeholders = "\n".join(image.placeholder() for image in images)
        content = f"{self.content}\n\n{placeholders}" if self.content else placeholders
        return replace(self, content=content, parts=self.documents)

    def as_dict(self) -> dict[str, str]:
        """The seed's `{"role", "content"}` shape; documents are included as text."""
        return {"role": self.role.value, "content": self.text_with_documents()}


# What callers may pass: Parley's own messages, or the seed's `{"role": ..., "content": ...}` dicts.
MessageLike = Message | Mapping[str, str]
Messages = Sequence[MessageLike]


def to_message(item: MessageLike) -> Message:
    if isinstance(item, Message):
        return item
    try:
        role = Role(str(item["role"]).lower())
        content = item["content"]
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"not a chat message: {item!r}") from exc
    if not isinstance(content, str):
        raise ValueError(f"message content must be text, got {type(content).__name__}")
    return Message(role, content)


def normalize_messages(messages: Iterable[MessageLike]) -> tuple[Message, ...]:
    return tuple(to_message(m) for m in messages)


def format_prompt(messages: Iterable[MessageLike]) -> str:
    """One message → its content; several → "Role: content" lines and a trailing "Assistant:" cue.
    Attached documents follow their message's text under their names.

    This is gpt4free's `format_prompt`, kept exactly so prompt-style providers see the same text.
    """
    items = normalize_messages(messages)
    if len(items) == 1:
        return items[0].text_with_documents()
    lines = "\n".join(f"{m.role.value.capitalize()}: {m.text_with_documents()}" for m in items)
    return f"{lines}\nAssistant:"


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything a provider needs for one answer. Built by the caller; providers never mutate it."""

    messages: tuple[Message, ...]
    model: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    # Provider-specific extras (e.g. Yqcloud's user_id); never secrets.
    options: Mapping[str, object] = field(default_factory=dict)
    # Tools offered to the model for this answer; none means a plain request, unchanged on the wire.
    tools: tuple[ToolSpec, ...] = ()

    @classmethod
    def of(cls, messages: Iterable[MessageLike], model: str = "", **kwargs: object) -> ChatRequest:
        temperature = kwargs.pop("temperature", None)
        max_tokens = kwargs.pop("max_tokens", None)
        return cls(
            messages=normalize_messages(messages),
            model=model,
            temperature=float(temperature) if isinstance(temperature, int | float) else None,
            max_tokens=int(max_tokens) if isinstance(max_tokens, int) else None,
            options=dict(kwargs),
        )

    @property
    def system(self) -> str:
        """The system messages' text, for providers with a separate system field."""
        return "\n".join(m.content for m in self.messages if m.role is Role.SYSTEM)

    def without_system(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.role is not Role.SYSTEM)

    def has_images(self) -> bool:
        return any(m.images for m in self.messages)

    def without_images(self) -> ChatRequest:
        """The same request for a text-only model: every image replaced by a line naming it."""
        if not self.has_images():
            return self
        return replace(self, messages=tuple(m.without_images() for m in self.messages))


class MessageStatus(StrEnum):
    """Where a stored message is in its life. A row still `streaming` when the app starts was cut
    by a crash; history reports it as `interrupted`."""

    STREAMING = "streaming"
    COMPLETE = "complete"
    STOPPED = "stopped"
    ERROR = "error"
    INTERRUPTED = "interrupted"
