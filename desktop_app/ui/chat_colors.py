"""The colours of the chat transcript in the light and the dark theme. A module of its own (no
Pygments): the main window paints the empty chat's background with them before the chat view and
its highlighting exist."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatColors:
    """The colours of the chat transcript in one theme (hex strings, for CSS and QColor alike)."""

    text: str
    background: str
    muted: str
    link: str
    user_bubble: str
    code_background: str
    inline_code: str
    code_header: str
    border: str
    quote_bar: str
    error_background: str
    error_text: str


LIGHT = ChatColors(
    text="#1f2328",
    background="#ffffff",
    muted="#59636e",
    link="#0969da",
    user_bubble="#eaf2fe",
    code_background="#f6f8fa",
    inline_code="#eceff2",
    code_header="#eaeef2",
    border="#d1d9e0",
    quote_bar="#d1d9e0",
    error_background="#ffebe9",
    error_text="#b3261e",
)
DARK = ChatColors(
    text="#e6edf3",
    background="#1f2023",  # the dark theme's Base
    muted="#9198a1",
    link="#4493f8",
    user_bubble="#283246",
    code_background="#17181b",
    inline_code="#34373d",
    code_header="#2c2e33",
    border="#3d444d",
    quote_bar="#3d444d",
    error_background="#3c1618",
    error_text="#ff9492",
)


def chat_colors(dark: bool) -> ChatColors:
    return DARK if dark else LIGHT
