"""A realistic long markdown answer, cut into token-sized pieces, and its OpenAI-style SSE events.

The answer is what a chat model writes when asked for a long technical explanation: headings,
paragraphs with bold, italics, inline code and links, bullet and numbered lists (some nested),
tables, fenced code in several languages and block quotes, in English and Russian sections. It is
deterministic for a seed. Tokens follow roughly how BPE tokenizers cut text: a leading space with a
short word or a 4-6 letter piece of a longer one (3-4 letters for Cyrillic), digits in threes,
punctuation on its own, runs of newlines; ~3.4 characters per token on average.
"""

from __future__ import annotations

import json
import random
import re
from functools import lru_cache

MODEL = "bench-model"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_EN = _words(
    "the a of and to in is that for it with as on be by this are from at or an which can will "
    "stream token answer model server client buffer render chunk event latency throughput provider "
    "decoder window frame layout paint document block paragraph table cursor update measure cost "
    "request response connection timeout proxy history message conversation search index query "
    "system memory process thread loop timer signal widget scroll view cache value result error "
    "simple fast slow large small first last every each other new old same different important "
    "usually often never always because however therefore instead while when where before after "
    "returns keeps shows makes takes gives reads writes sends opens closes starts stops grows"
)
_RU = _words(
    "и в не на что с по это как для из от к но о то же за при или так все они уже только было "
    "поток ответ модель сервер клиент буфер данные событие задержка окно кадр документ блок "
    "таблица курсор обновление запрос соединение история сообщение разговор поиск индекс память "
    "процесс цикл таймер сигнал прокрутка значение результат ошибка быстро медленно большой "
    "маленький первый последний каждый новый старый важный обычно часто никогда всегда потому "
    "однако поэтому вместо когда где перед после возвращает хранит показывает делает читает пишет"
)
_NAMES = ("buffer", "stream", "chunk", "render", "frame", "parse", "update", "index", "window", "query")
_LANGS = ("python", "javascript", "bash", "sql")

_TOKEN = re.compile(
    r"\n+|[ \t]*[A-Za-z]{1,6}|[ \t]*[А-Яа-яЁё]{1,4}|[ \t]*\d{1,3}|[ \t]*[^\sA-Za-zА-Яа-яЁё\d]|[ \t]+"
)


def tokenize(text: str) -> list[str]:
    tokens = _TOKEN.findall(text)
    assert "".join(tokens) == text, "the tokenizer must cover the text exactly"
    return tokens


class _Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def words(self, russian: bool, count: int) -> list[str]:
        return [self.rng.choice(_RU if russian else _EN) for _ in range(count)]

    def sentence(self, russian: bool) -> str:
        words = self.words(russian, self.rng.randint(6, 18))
        r = self.rng.random()
        i = self.rng.randrange(len(words))
        if r < 0.15:
            words[i] = f"**{words[i]}**"
        elif r < 0.28:
            words[i] = f"`{self.rng.choice(_NAMES)}_{words[i] if not russian else 'x'}()`"
        elif r < 0.36:
            words[i] = f"_{words[i]}_"
        elif r < 0.42:
            words[i] = (
                f"[{words[i]}](https://example.org/{self.rng.choice(_NAMES)}/{self.rng.randint(1, 999)})"
            )
        elif r < 0.5:
            words.insert(i, str(self.rng.randint(2, 50_000)))
        return " ".join(words).capitalize() + self.rng.choice(".....?!:")

    def paragraph(self, russian: bool) -> str:
        return " ".join(self.sentence(russian) for _ in range(self.rng.randint(2, 6)))

    def heading(self, russian: bool) -> str:
        return (
            "#" * self.rng.randint(2, 3)
            + " "
            + " ".join(self.words(russian, self.rng.randint(2, 6))).capitalize()
        )

    def bullet_list(self, russian: bool) -> str:
        numbered = self.rng.random() < 0.4
        lines = []
        for n in range(1, self.rng.randint(3, 8)):
            marker = f"{n}." if numbered else "-"
            lines.append(f"{marker} {self.sentence(russian)}")
            if self.rng.random() < 0.2:
                for _ in range(self.rng.randint(1, 3)):
                    lines.append(f"   - {self.sentence(russian)}")
        return "\n".join(lines)

    def table(self, russian: bool) -> str:
        columns = self.rng.randint(3, 5)
        header = [" ".join(self.words(russian, self.rng.randint(1, 2))).capitalize() for _ in range(columns)]
        rows = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in range(columns)) + "|"]
        for _ in range(self.rng.randint(3, 8)):
            cells = []
            for c in range(columns):
                if c and self.rng.random() < 0.4:
                    cells.append(f"{self.rng.uniform(0, 1000):.1f} ms")
                else:
                    cells.append(" ".join(self.words(russian, self.rng.randint(1, 4))))
            rows.append("| " + " | ".join(cells) + " |")
        return "\n".join(rows)

    def code(self) -> str:
        rng = self.rng
        lang = rng.choice(_LANGS)
        name = f"{rng.choice(_NAMES)}_{rng.choice(_NAMES)}"
        lines: list[str] = []
        for _ in range(rng.randint(5, 25)):
            a, b, n = rng.choice(_NAMES), rng.choice(_NAMES), rng.randint(1, 512)
            if lang == "python":
                lines.append(
                    rng.choice(
                        (
                            f"    {a} = {b}.get('{a}', {n})",
                            f"    if len({a}) > {n}:",
                            f"        return [{b} for {b} in {a} if {b}]",
                            f"    # keep the {a} of every {b}",
                            f"    await asyncio.sleep({n / 1000:.3f})",
                        )
                    )
                )
            elif lang == "javascript":
                lines.append(
                    rng.choice(
                        (
                            f"  const {a} = await fetch(`/api/{b}/${{{n}}}`);",
                            f"  if ({a}.length > {n}) {{ return {b}.slice(0, {n}); }}",
                            f"  // {a} and {b} stay in sync",
                        )
                    )
                )
            elif lang == "bash":
                lines.append(
                    rng.choice(
                        (f"curl -sN http://127.0.0.1:{8000 + n}/{a} | head -n {n}", f"export {a.upper()}={n}")
                    )
                )
            else:
                lines.append(f"SELECT {a}, count(*) FROM {b} WHERE id > {n} GROUP BY {a};")
        head = {"python": f"def {name}({rng.choice(_NAMES)}):", "javascript": f"async function {name}() {{"}
        body = [head[lang]] if lang in head else []
        body += lines
        if lang == "javascript":
            body.append("}")
        return f"```{lang}\n" + "\n".join(body) + "\n```"

    def quote(self, russian: bool) -> str:
        return "> " + self.sentence(russian) + "\n> " + self.sentence(russian)

    def section(self) -> list[str]:
        russian = self.rng.random() < 0.4
        blocks = [self.heading(russian)]
        for _ in range(self.rng.randint(3, 7)):
            r = self.rng.random()
            if r < 0.45:
                blocks.append(self.paragraph(russian))
            elif r < 0.65:
                blocks.append(self.bullet_list(russian))
            elif r < 0.77:
                blocks.append(self.table(russian))
            elif r < 0.94:
                blocks.append(self.code())
            else:
                blocks.append(self.quote(russian))
        return blocks


@lru_cache(maxsize=4)
def answer_tokens(count: int, seed: int = 2026) -> tuple[str, ...]:
    """At least `count` tokens: whole markdown blocks, the last one possibly cut (as when a model
    hits its token limit), then exactly `count` tokens kept."""
    writer = _Writer(seed)
    tokens: list[str] = []
    first = True
    while len(tokens) < count:
        for block in writer.section():
            tokens += tokenize(("" if first else "\n\n") + block)
            first = False
    return tuple(tokens[:count])


def answer_text(count: int, seed: int = 2026) -> str:
    return "".join(answer_tokens(count, seed))


def markdown_blocks(count: int, seed: int) -> list[str]:
    """`count` top-level markdown blocks (paragraphs, lists, tables, code, quotes), for history."""
    writer = _Writer(seed)
    blocks: list[str] = []
    while len(blocks) < count:
        blocks += writer.section()[1:]
    return blocks[:count]


def user_prompt(seed: int) -> str:
    writer = _Writer(seed)
    russian = writer.rng.random() < 0.4
    return " ".join(writer.sentence(russian) for _ in range(writer.rng.randint(1, 3)))


# -- the wire ----------------------------------------------------------------------------------


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def sse_event(token: str) -> bytes:
    """A `chat.completion.chunk` as OpenAI sends one per token (~230 bytes with its metadata)."""
    chunk = {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": MODEL,
        "system_fingerprint": "fp_f9f4fb6dbf",
        "choices": [{"index": 0, "delta": {"content": token}, "logprobs": None, "finish_reason": None}],
    }
    return b"data: " + _dumps(chunk) + b"\n\n"


SSE_END = (
    b'data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk",'
    b'"created":1767225600,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}'
    b"\n\ndata: [DONE]\n\n"
)


def sse_text(data: bytes) -> tuple[list[str], bytes]:
    """The least work that gets the text out of SSE bytes: (texts, the unfinished rest)."""
    *events, rest = data.split(b"\n\n")
    texts = []
    for event in events:
        if event.startswith(b"data: {"):
            delta = json.loads(event[6:])["choices"][0]["delta"]
            texts.append(delta.get("content") or "")
    return texts, rest
