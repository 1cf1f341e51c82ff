from __future__ import annotations

import pytest

from desktop_app.chat.context_window import (
    MESSAGE_OVERHEAD_TOKENS,
    estimate_message_tokens,
    estimate_tokens,
    fit_to_context,
)
from desktop_app.core.messages import Message, Role


def user(text: str) -> Message:
    return Message(Role.USER, text)


def assistant(text: str) -> Message:
    return Message(Role.ASSISTANT, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("abcd", 1),
        ("abcde", 2),  # rounded up: the estimate leans high
        ("a" * 400, 100),
        ("б" * 250, 100),  # Cyrillic: 2.5 characters per token
        ("字" * 100, 100),  # CJK: a token per character
        ("カタカナ", 4),
        ("한국어", 3),
        ("abcd" + "б" * 5 + "字" * 3, 1 + 2 + 3),
    ],
)
def test_estimate_tokens(text: str, expected: int) -> None:
    assert estimate_tokens(text) == expected


def test_non_english_text_costs_more_tokens_than_english_of_the_same_length() -> None:
    english = estimate_tokens("hello world, " * 20)
    russian = estimate_tokens("привет, мир! " * 20)
    chinese = estimate_tokens("你好世界你好世界你好世" * 26)
    assert english < russian < chinese


def test_message_cost_includes_framing() -> None:
    assert estimate_message_tokens(user("abcd")) == 1 + MESSAGE_OVERHEAD_TOKENS


def test_everything_kept_when_it_fits() -> None:
    history = [Message(Role.SYSTEM, "be brief"), user("hi"), assistant("hello"), user("how are you")]
    fitted = fit_to_context(history, context_tokens=1000, reserved_tokens=100)
    assert fitted.messages == tuple(history)
    assert fitted.left_out == 0
    assert fitted.notice() == ""


def test_unknown_context_keeps_everything() -> None:
    history = [user("x" * 100_000), user("y")]
    fitted = fit_to_context(history, context_tokens=None, reserved_tokens=100)
    assert fitted.messages == tuple(history)
    assert fitted.left_out == 0


def test_oldest_messages_left_out_and_system_prompt_kept() -> None:
    system = Message(Role.SYSTEM, "s" * 40)  # 10 + 4 = 14 tokens
    old = [user("a" * 400), assistant("b" * 400), user("c" * 400)]  # 104 tokens each
    newest = [assistant("d" * 40), user("e" * 40)]  # 14 tokens each
    history = [system, *old, *newest]
    # Budget 200 - 50 = 150: system 14 + newest 28 = 42, plus one old message (104) = 146 fits,
    # a second (208 more) does not.
    fitted = fit_to_context(history, context_tokens=200, reserved_tokens=50)
    assert fitted.messages == (system, old[2], *newest)
    assert fitted.left_out == 2
    assert fitted.notice() == "2 older messages were left out to fit the model's context."


def test_no_hole_in_the_kept_history() -> None:
    # The middle message is too big; the short oldest one must not be kept past it.
    history = [user("tiny"), assistant("x" * 4000), user("newest")]
    fitted = fit_to_context(history, context_tokens=100, reserved_tokens=0)
    assert fitted.messages == (history[2],)
    assert fitted.left_out == 2


def test_newest_message_kept_even_when_it_alone_is_too_long() -> None:
    history = [user("old"), user("z" * 10_000)]
    fitted = fit_to_context(history, context_tokens=100, reserved_tokens=50)
    assert fitted.messages == (history[1],)
    assert fitted.left_out == 1
    assert fitted.notice() == "1 older message was left out to fit the model's context."


def test_reserve_for_the_answer_is_respected() -> None:
    history = [user("a" * 40), user("b" * 40)]  # 14 tokens each
    assert fit_to_context(history, context_tokens=28, reserved_tokens=0).left_out == 0
    assert fit_to_context(history, context_tokens=28, reserved_tokens=1).left_out == 1
