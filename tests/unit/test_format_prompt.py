"""`format_prompt`: gpt4free's prompt format, which Yqcloud sends as its `prompt` field."""

from __future__ import annotations

import pytest

from desktop_app.core.messages import Message, Role, format_prompt


def test_a_single_message_is_its_content_alone() -> None:
    assert format_prompt([{"role": "user", "content": "Привет, как дела?"}]) == "Привет, как дела?"
    assert format_prompt([Message(Role.SYSTEM, "line 1\nline 2")]) == "line 1\nline 2"


def test_several_messages_are_role_lines_and_an_assistant_cue() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Как дела?"},
    ]
    assert format_prompt(messages) == (
        "System: Be brief.\nUser: Hi\nAssistant: Hello!\nUser: Как дела?\nAssistant:"
    )


def test_dicts_and_message_objects_format_the_same() -> None:
    as_dicts = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    as_messages = [Message(Role.USER, "a"), Message(Role.ASSISTANT, "b")]
    mixed: list[Message | dict[str, str]] = [as_messages[0], as_dicts[1]]
    expected = "User: a\nAssistant: b\nAssistant:"
    assert format_prompt(as_dicts) == format_prompt(as_messages) == format_prompt(mixed) == expected


def test_role_spelling_is_normalised_and_capitalised() -> None:
    assert format_prompt([{"role": "USER", "content": "x"}, {"role": "Assistant", "content": "y"}]) == (
        "User: x\nAssistant: y\nAssistant:"
    )


def test_multi_line_content_is_kept_as_is() -> None:
    messages = [{"role": "user", "content": "one\ntwo"}, {"role": "user", "content": "  three  "}]
    assert format_prompt(messages) == "User: one\ntwo\nUser:   three  \nAssistant:"


def test_a_generator_of_messages_works() -> None:
    messages = ({"role": "user", "content": c} for c in ("a", "b"))
    assert format_prompt(messages) == "User: a\nUser: b\nAssistant:"


@pytest.mark.parametrize(
    "bad",
    [
        {"content": "no role"},
        {"role": "user"},
        {"role": "wizard", "content": "x"},
        {"role": "user", "content": 5},
    ],
    ids=["no-role", "no-content", "unknown-role", "content-not-text"],
)
def test_something_that_is_not_a_message_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="message"):
        format_prompt([bad, {"role": "user", "content": "ok"}])  # type: ignore[list-item]
