"""A realistic Parley history file: many conversations of alternating questions and markdown
answers (with the cached HTML the app stores for finished answers), one very long conversation,
and words of every frequency for full-text search.

The schema comes from Parley itself (`SqliteHistory` creates and migrates the file); rows are
then added in one transaction, through the same FTS triggers as the app's own writes. Answers are
made of markdown blocks from a rendered pool (each block's HTML rendered once by the app's
`MarkdownRenderer`), so 100,000 messages take seconds, not minutes.
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from _answer import markdown_blocks, user_prompt

# Invented words of three frequencies, so searches range from a handful of hits to thousands.
_SYLLABLES = ("ka", "zu", "mir", "tel", "vo", "rex", "an", "qui", "sol", "dra", "pen", "lo", "ny", "bex")
RARE_EVERY = 1  # a rare word in every answer (from a large set: few hits each)
COMMON_TERMS = ("server", "сервер", "latency")  # vocabulary words present in most answers


@dataclass(frozen=True)
class BuiltHistory:
    path: Path
    big_conversation: int
    small_conversation: int
    conversations: int
    messages: int
    queries: tuple[str, ...]
    seconds: float


def _invented(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4)))


def build_history(
    path: Path, *, conversations: int, messages: int, big_messages: int, seed: int = 2026
) -> BuiltHistory:
    """`messages` in `conversations`, the first of which has `big_messages` of them."""
    from desktop_app.storage.history import SqliteHistory
    from desktop_app.ui.markdown import MarkdownRenderer

    started = time.monotonic()
    render_key = renderer_version()
    SqliteHistory(path).close()  # the schema, exactly as the app makes it
    rng = random.Random(seed)
    renderer = MarkdownRenderer()
    pool = markdown_blocks(1200, seed)
    rendered = [(block, renderer.render_message(block), block.startswith("```")) for block in pool]
    prompts = [user_prompt(seed + i) for i in range(400)]
    rare = sorted({_invented(rng) for _ in range(messages // 8 + 50)})
    medium = rare[:40]  # the first few rare words are used far more often
    counts = [big_messages, *_spread(messages - big_messages, conversations - 1)]
    now = int(time.time() * 1000) - messages * 60_000
    rows: list[tuple[object, ...]] = []
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        for index, count in enumerate(counts):
            title = prompts[index % len(prompts)][:60]
            cursor = conn.execute(
                "INSERT INTO conversations (title, created_at, updated_at, system_prompt)"
                " VALUES (?, ?, ?, '')",
                (title, now, now + count * 60_000),
            )
            conversation = cursor.lastrowid
            for n in range(count):
                now += 1000
                if n % 2 == 0:
                    text = f"{prompts[rng.randrange(len(prompts))]} {rng.choice(rare)}"
                    rows.append((conversation, "user", text, "complete", now, now, None, ""))
                    continue
                chosen, html, has_code = [], [], False
                for _ in range(rng.randint(1, 4)):
                    block, block_html, code = rendered[rng.randrange(len(rendered))]
                    if code and has_code:
                        continue  # one code block per answer keeps the cached copy links exact
                    has_code = has_code or code
                    chosen.append(block)
                    html.append(block_html)
                word = rng.choice(medium) if rng.random() < 0.3 else rng.choice(rare)
                chosen.append(f"See also {word}.")
                html.append(renderer.render_message(chosen[-1]))
                rows.append(
                    (
                        conversation,
                        "assistant",
                        "\n\n".join(chosen),
                        "complete",
                        now,
                        now,
                        "".join(html),
                        render_key,
                    )
                )
                if len(rows) >= 5000:
                    _insert(conn, rows)
            _insert(conn, rows)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        small = conn.execute("SELECT id FROM conversations WHERE id > 1 ORDER BY id LIMIT 1").fetchone()
    finally:
        conn.close()
    queries = (
        rare[-1],
        rare[len(rare) // 2],
        medium[0],
        COMMON_TERMS[0],
        COMMON_TERMS[1],
        "serv*",
        f"{COMMON_TERMS[2]} {medium[1]}",
        'the "render" -loop',
    )
    return BuiltHistory(
        path=path,
        big_conversation=1,
        small_conversation=int(small[0]) if small else 1,
        conversations=conversations,
        messages=messages,
        queries=queries,
        seconds=time.monotonic() - started,
    )


def renderer_version() -> str:
    """The key under which the app trusts cached HTML (its name has moved between modules)."""
    from desktop_app.ui import conversations, markdown

    key = getattr(markdown, "renderer_key", None)
    if callable(key):
        return str(key())
    for module, name in ((markdown, "RENDERER_VERSION"), (conversations, "RENDER_CACHE_KEY")):
        value = getattr(module, name, None)
        if isinstance(value, str):
            return value
    raise RuntimeError("cannot find the app's rendered-HTML cache key")


def _spread(total: int, parts: int) -> list[int]:
    if parts <= 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _insert(conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    conn.executemany(
        "INSERT INTO messages (conversation_id, role, content, status, created_at, updated_at,"
        " rendered_html, rendered_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    rows.clear()
