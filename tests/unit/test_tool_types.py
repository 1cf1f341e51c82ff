"""Tool specs, calls and results in `core`, and the messages that carry them."""

from __future__ import annotations

import pytest

from desktop_app.core.attachments import ImagePart
from desktop_app.core.messages import ChatRequest, Message, Role, format_prompt, to_message
from desktop_app.core.tools import ToolArgumentsError, ToolCall, ToolResult, ToolSpec


def test_arguments_parse_to_a_dict() -> None:
    assert ToolCall("c", "f", '{"a": [1, 2], "b": null}').arguments() == {"a": [1, 2], "b": None}


@pytest.mark.parametrize("text", ["", "   ", "{}"])
def test_no_arguments_is_an_empty_dict(text: str) -> None:
    assert ToolCall("c", "f", text).arguments() == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"city": "Berl', "not valid JSON"),
        ("[1, 2]", "got a JSON list"),
        ('"text"', "got a JSON str"),
        ("{" + "x" * 500, "not valid JSON"),
    ],
    ids=["cut", "list", "string", "long"],
)
def test_bad_arguments_raise_one_typed_line(text: str, says: str) -> None:
    with pytest.raises(ToolArgumentsError) as caught:
        ToolCall("c", "get_weather", text).arguments()
    message = str(caught.value)
    assert message.startswith("arguments of tool 'get_weather' are not a JSON object: ")
    assert says in message
    assert "\n" not in message
    assert len(message) < 250  # the model's text is cut to 80 characters
    assert isinstance(caught.value, ValueError)


def test_spec_and_result_are_frozen() -> None:
    spec = ToolSpec("f", "does f", {"type": "object"})
    assert spec.server == ""
    result = ToolResult("c", "f", "done")
    assert not result.is_error
    with pytest.raises(AttributeError):
        result.content = "x"  # type: ignore[misc]


def test_tool_messages() -> None:
    call = ToolCall("call_0", "f", "{}")
    asked = Message.assistant_calls([call])
    assert (asked.role, asked.content, asked.tool_calls) == (Role.ASSISTANT, "", (call,))
    answered = Message.tool_result(ToolResult("call_0", "f", "42", is_error=True))
    assert (answered.role, answered.content, answered.tool_call_id, answered.name) == (
        Role.TOOL,
        "42",
        "call_0",
        "f",
    )
    assert answered.as_dict() == {"role": "tool", "content": "42"}
    assert to_message({"role": "tool", "content": "42"}) == Message(Role.TOOL, "42")


def test_plain_messages_are_unchanged() -> None:
    message = Message(Role.USER, "hi")
    assert (message.tool_calls, message.tool_call_id, message.name) == ((), "", "")
    assert message.as_dict() == {"role": "user", "content": "hi"}
    assert ChatRequest((message,)).tools == ()


def test_without_images_keeps_tool_fields() -> None:
    call = ToolCall("call_0", "f", "{}")
    image = ImagePart("a.png", "image/png", b"png", 1, 1)
    asked = Message(Role.ASSISTANT, "text", (image,), tool_calls=(call,))
    assert asked.without_images() == Message(Role.ASSISTANT, "text\n\n[image: a.png]", tool_calls=(call,))


def test_format_prompt_shows_tool_results_as_their_text() -> None:
    messages = [
        Message(Role.USER, "q"),
        Message.assistant_calls([ToolCall("call_0", "f", "{}")]),
        Message.tool_result(ToolResult("call_0", "f", "42")),
    ]
    assert format_prompt(messages) == "User: q\nAssistant: \nTool: 42\nAssistant:"
