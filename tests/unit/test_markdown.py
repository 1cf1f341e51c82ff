"""The markdown pipeline: safety of model output, highlighting, and the incremental renderer's
promise that completed blocks + tail == rendering the whole text."""

from __future__ import annotations

import random
import re

import pytest

from desktop_app.ui.code_style import CodeColorer
from desktop_app.ui.markdown import WARM_UP_LANGUAGES, IncrementalMarkdown, MarkdownRenderer

# A realistic mixed answer: headings of both kinds, Russian and English, nested and loose lists
# (one continuing after a blank line with "2."), code in lists and quotes, several languages,
# tables with alignment, a fence inside a longer fence, indented code, a reference link.
ANSWER = """# Как стримить ответы в Qt

Короткий ответ: **не перерисовывайте** весь документ. Use *incremental* rendering with `QTextCursor`,
and read [the docs](https://doc.qt.io/qt-6/qtextcursor.html) or <https://example.com/a?b=1&c=2>.

Setext heading
--------------

1. Соберите дельты в буфер:

   ```python
   buffer: list[str] = []

   def on_delta(text: str) -> None:
       buffer.append(text)  # <b>не HTML</b>
   ```

2. Раз в кадр (~16 ms) отдавайте текст представлению.
   - вложенный пункт
   - nested item with `code`
     - third level, ещё глубже

3. Only the **tail** is re-rendered.

- tight one
- tight two
* another list (different bullet)

| Подход | Стоимость | Notes |
|:-------|----------:|:-----:|
| setMarkdown | 91 ms | *slow* |
| incremental | 2 ms | fast ~~or not~~ |

> Цитата с **жирным** текстом
continued lazily on the next line.
>
> - list inside a quote
> ```js
> console.log("quoted code")
> ```

```rust
fn main() {
    let v: Vec<i32> = (0..10).map(|x| x * 2).collect();
    println!("{:?}", v);
}
```

````markdown
A fence inside a fence:
```
not closed here
```
````

    indented code block

    still the same block after a blank line

***

Final words with a hard break\\
and [a reference][docs] link. Не забудьте про <script>alert("x")</script>.

[docs]: https://example.org/docs "Docs"

```json
{"name": "parley", "ok": true}
```

Последний абзац without a trailing newline"""


@pytest.fixture(scope="module")
def renderer() -> MarkdownRenderer:
    return MarkdownRenderer()


def feed(renderer: MarkdownRenderer, text: str, cuts: list[int]) -> IncrementalMarkdown:
    incremental = IncrementalMarkdown(renderer)
    for cut in cuts:
        incremental.update(text[:cut])
    return incremental


def random_cuts(length: int, seed: int, largest: int) -> list[int]:
    rng = random.Random(seed)
    cuts, position = [], 0
    while position < length:
        position = min(length, position + rng.randint(1, largest))
        cuts.append(position)
    return cuts


# ----- model output is data, not markup ---------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>'],
)
def test_html_in_model_output_is_shown_as_text(renderer: MarkdownRenderer, source: str) -> None:
    html = renderer.render_message(f"before {source} after\n\n{source}\n")
    assert "<script" not in html
    assert "<img" not in html
    assert "<a " not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.com/x", "mailto:a@example.com", "/relative"],
)
def test_only_http_links_become_anchors(renderer: MarkdownRenderer, url: str) -> None:
    html = renderer.render_message(f"[click]({url}) and <{url}> and [https link](https://example.com/ok)")
    anchors = re.findall(r'<a href="([^"]*)"', html)
    assert anchors == ["https://example.com/ok"]
    assert "click" in html


def test_images_are_never_embedded(renderer: MarkdownRenderer) -> None:
    html = renderer.render_message(
        "![схема](https://example.com/d.png) ![inline](data:image/png;base64,AAAA) ![local](/etc/x.png)"
    )
    assert "<img" not in html
    assert '<a href="https://example.com/d.png">[image: схема]</a>' in html
    assert "[image: inline]" in html
    assert "data:image" not in html


def test_code_is_highlighted_with_theme_neutral_classes(renderer: MarkdownRenderer) -> None:
    html = renderer.render_message('```python\ndef f():\n    return "<b>"\n```\n')
    assert '<span class="pg-k">def</span>' in html
    assert "&lt;b&gt;" in html
    assert "color" not in html
    for dark in (False, True):
        colored = CodeColorer(dark)(html)
        assert "pg-" not in colored
        assert "<font color=" in colored
        assert "&lt;b&gt;" in colored


def test_unknown_language_is_plain_escaped_text(renderer: MarkdownRenderer) -> None:
    html = renderer.render_message("```no-such-language\n<tag> & text\n```\n")
    assert "&lt;tag&gt; &amp; text" in html
    assert "<span" not in html


def test_code_blocks_are_numbered_like_their_copy_links(renderer: MarkdownRenderer) -> None:
    html = renderer.render_message(ANSWER)
    links = [int(n) for n in re.findall(r'href="parley:copy-code/(\d+)"', html)]
    blocks = renderer.code_blocks(ANSWER)
    assert links == list(range(len(blocks)))
    assert blocks[0].startswith("buffer: list[str] = []")
    assert blocks[1] == 'console.log("quoted code")'
    assert blocks[-1] == '{"name": "parley", "ok": true}'


def test_warm_up_runs(renderer: MarkdownRenderer) -> None:
    renderer.warm_up()


# ----- incremental rendering ---------------------------------------------------------------------


def test_character_by_character_equals_rendering_the_whole_text(renderer: MarkdownRenderer) -> None:
    incremental = feed(renderer, ANSWER, list(range(1, len(ANSWER) + 1)))
    assert incremental.html == renderer.render_message(ANSWER)
    # All but the last two blocks completed: the last paragraph has no newline yet, so the json
    # fence before it is not known to be final.
    top_level = [t for t in renderer.parse(ANSWER, {}) if t.level == 0 and t.nesting >= 0]
    assert incremental.completed_blocks == len(top_level) - 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_chunks_equal_rendering_the_prefix_at_every_step(
    renderer: MarkdownRenderer, seed: int
) -> None:
    incremental = IncrementalMarkdown(renderer)
    for cut in random_cuts(len(ANSWER), seed, largest=60):
        incremental.update(ANSWER[:cut])
        assert incremental.html == renderer.render_message(ANSWER[:cut]), f"differs after {cut} characters"


@pytest.mark.parametrize(
    "text",
    [
        "1. one\n\n2. two\n\n3. three\n\nafter\n",  # "2" alone would be a paragraph that closes the list
        "para\n\n- a\n\n- b\n\n  continued item\n\nend\n",
        "Title\n===\n\ntext\n",
        "text\n| a | b |\n|---|---|\n| 1 | 2 |\n\nafter\n",
        "```\ncode\n\n\nmore code\n```\nafter\n",
        "> quote\nlazy\n\n> second quote\n\nend\n",
        "line one\r\nline two\r\n\r\n- item\r\n\r\nend\r\n",
        "[ref]: https://example.com\n\nuse [ref] here\n\nand [ref] again\n",
        "hard  \nbreak\n\n~~~\nfence\n~~~\nnext\n",
    ],
)
def test_tricky_boundaries_equal_the_whole_render(renderer: MarkdownRenderer, text: str) -> None:
    for cuts in (list(range(1, len(text) + 1)), random_cuts(len(text), 7, largest=5)):
        assert feed(renderer, text, cuts).html == renderer.render_message(text)


def test_completed_blocks_render_once_and_the_tail_stays_one_block(renderer: MarkdownRenderer) -> None:
    text = ANSWER * 4
    incremental = IncrementalMarkdown(renderer)
    largest_tail = 0
    updates = 0
    for cut in random_cuts(len(text), 11, largest=30):
        incremental.update(text[:cut])
        updates += 1
        largest_tail = max(largest_tail, incremental.tail_chars)
    assert incremental.blocks_rendered == incremental.completed_blocks  # each block exactly once
    assert incremental.tail_renders <= updates
    # The tail never grows past the longest top-level block (the tables/lists/fences above are
    # a few hundred characters), so a long answer costs the same per update as a short one.
    assert largest_tail < 500


def test_unchanged_text_renders_nothing(renderer: MarkdownRenderer) -> None:
    incremental = IncrementalMarkdown(renderer)
    incremental.update("para\n\nsecond")
    renders = incremental.tail_renders
    update = incremental.update("para\n\nsecond")
    assert not update.tail_changed
    assert update.completed == ()
    assert incremental.tail_renders == renders


def test_text_that_does_not_extend_the_previous_one_restarts(renderer: MarkdownRenderer) -> None:
    incremental = IncrementalMarkdown(renderer)
    incremental.update("# First answer\n\nwith text\n\nmore")
    update = incremental.update("Another answer")
    assert update.restarted
    assert incremental.html == renderer.render_message("Another answer")


# -- growing tails (append to tests/unit/test_markdown.py; import WARM_UP_LANGUAGES) --

OPEN = "Text\n\n```python\ndef f():\n    return 1\n"


def test_an_open_fence_is_plain_while_growing_and_highlighted_once_the_text_stops(
    renderer: MarkdownRenderer,
) -> None:
    incremental = IncrementalMarkdown(renderer)
    growing = incremental.update(OPEN, growing=True)
    assert "def f():" in growing.tail
    assert 'class="pg-' not in growing.tail
    assert 'class="code"' in growing.tail  # the same box, copy link included
    assert "parley:copy-code/0" in growing.tail
    final = incremental.update(OPEN)  # the same text, no longer growing
    assert final.tail_changed
    assert 'class="pg-' in final.tail
    assert incremental.html == renderer.render_message(OPEN)


def test_a_closed_fence_in_a_growing_tail_is_highlighted(renderer: MarkdownRenderer) -> None:
    incremental = IncrementalMarkdown(renderer)
    update = incremental.update(OPEN + "```\n", growing=True)
    assert 'class="pg-' in update.tail
    assert incremental.html == renderer.render_message(OPEN + "```\n")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_growing_chunks_then_the_end_equal_rendering_the_whole_text(
    renderer: MarkdownRenderer, seed: int
) -> None:
    incremental = IncrementalMarkdown(renderer)
    rng = random.Random(seed)
    position = 0
    plain_seen = False
    while position < len(ANSWER):
        position = min(len(ANSWER), position + rng.randint(1, 60))
        incremental.update(ANSWER[:position], growing=True)
        plain_seen = plain_seen or incremental.html != renderer.render_message(ANSWER[:position])
    incremental.update(ANSWER)
    assert plain_seen  # some prefix ended inside a code block and was shown unhighlighted
    assert incremental.html == renderer.render_message(ANSWER)


def test_warm_up_comes_in_small_steps_one_per_usual_language(renderer: MarkdownRenderer) -> None:
    steps = renderer.warm_up_steps()
    assert len(steps) == 1 + len(WARM_UP_LANGUAGES)
    for step in steps:
        step()
