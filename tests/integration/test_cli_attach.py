"""`parley ask --attach PATH` as a real subprocess against real local servers: the exact request
bodies (content parts, data URLs, Ollama's `images`), and every refusal — a missing, unsupported
or oversized file, an image for a text-only provider — as one line, exit 1, nothing sent."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from aiohttp import web
from PIL import Image

from tests.integration.test_cli import KEY, ask, saved
from tests.support.server import ScriptedServer, sse, stream_chunks


def make_png(path: Path, size: tuple[int, int] = (8, 6)) -> Path:
    Image.new("RGB", size, (200, 30, 30)).save(path, format="PNG")
    return path


async def answer_and_no_models(request: web.Request) -> web.StreamResponse:
    """An OpenAI-compatible server that says nothing about its models (so images are sent)."""
    if request.path.endswith("/models"):
        return web.json_response({"error": {"message": "not here"}}, status=404)
    return await stream_chunks(request, sse({"content": "Seen."}), content_type="text/event-stream")


def chat_requests(server: ScriptedServer) -> list[dict[str, object]]:
    return [json.loads(seen.body) for seen in server.requests if seen.path.endswith("/chat/completions")]


async def test_an_image_and_a_text_file_go_as_content_parts(server: ScriptedServer, tmp_path: Path) -> None:
    picture = make_png(tmp_path / "red.png")
    notes = tmp_path / "notes.txt"
    notes.write_text("первая строка\nsecond line\n", encoding="utf-16")
    server.handle = answer_and_no_models

    run = await ask(
        tmp_path / "data",
        *("--provider", "openai", "--base-url", server.url("/v1"), "--model", "gpt-4o"),
        *("--attach", str(picture), "--attach", str(notes)),
        "What is in these?",
        PARLEY_API_KEY=KEY,
    )

    assert (run.returncode, run.stderr) == (0, b"")
    assert run.stdout == b"Seen.\n"
    [body] = chat_requests(server)
    messages = body["messages"]
    assert isinstance(messages, list)
    [question] = messages
    parts = question["content"]
    assert parts[0] == {"type": "text", "text": "What is in these?"}
    image = parts[1]
    assert image["type"] == "image_url"
    prefix = "data:image/png;base64,"
    assert image["image_url"]["url"].startswith(prefix)
    sent = Image.open(io.BytesIO(base64.b64decode(image["image_url"]["url"][len(prefix) :])))
    assert sent.size == (8, 6)
    assert parts[2] == {"type": "text", "text": "[file: notes.txt]\nпервая строка\nsecond line\n"}
    assert saved(tmp_path / "data")[0][:2] == ("user", "What is in these?")


async def test_ollama_gets_the_image_in_images(server: ScriptedServer, tmp_path: Path) -> None:
    picture = make_png(tmp_path / "red.png", (5, 4))

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/api/show":
            return web.json_response({"capabilities": ["completion", "vision"]})
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        await response.write(b'{"message":{"role":"assistant","content":"A red box."},"done":false}\n')
        await response.write(b'{"message":{"role":"assistant","content":""},"done":true}\n')
        return response

    server.handle = handle
    run = await ask(
        tmp_path / "data",
        *("--provider", "ollama", "--base-url", server.url("/"), "--model", "llava"),
        *("--attach", str(picture)),
        "Describe it",
    )

    assert (run.returncode, run.stderr) == (0, b"")
    assert run.stdout == b"A red box.\n"
    [chat] = [json.loads(s.body) for s in server.requests if s.path == "/api/chat"]
    [question] = chat["messages"]
    assert question["content"] == "Describe it"
    [encoded] = question["images"]
    assert Image.open(io.BytesIO(base64.b64decode(encoded))).size == (5, 4)


async def test_a_missing_file_is_one_line_and_nothing_is_sent(server: ScriptedServer, tmp_path: Path) -> None:
    server.handle = answer_and_no_models
    run = await ask(
        tmp_path / "data",
        *("--provider", "openai", "--base-url", server.url("/v1")),
        *("--attach", str(tmp_path / "nowhere.pdf")),
        "hi",
        PARLEY_API_KEY=KEY,
    )

    assert run.returncode == 1
    assert "nowhere.pdf" in run.error_line
    assert server.requests == []
    assert saved(tmp_path / "data") == []


async def test_a_binary_file_is_refused_by_name(server: ScriptedServer, tmp_path: Path) -> None:
    blob = tmp_path / "program.bin"
    blob.write_bytes(bytes(range(256)) * 64)
    server.handle = answer_and_no_models
    run = await ask(
        tmp_path / "data",
        *("--provider", "openai", "--base-url", server.url("/v1"), "--attach", str(blob)),
        "hi",
        PARLEY_API_KEY=KEY,
    )

    assert run.returncode == 1
    assert run.error_line.startswith("parley: program.bin: binary files are not supported")
    assert server.requests == []


async def test_a_file_over_the_limit_is_refused_before_it_is_read(
    server: ScriptedServer, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as file:
        file.truncate(60_000_000)  # sparse: over the 50 MB limit without writing 60 MB
    server.handle = answer_and_no_models
    run = await ask(
        tmp_path / "data",
        *("--provider", "openai", "--base-url", server.url("/v1"), "--attach", str(huge)),
        "hi",
        PARLEY_API_KEY=KEY,
    )

    assert run.returncode == 1
    line = run.error_line
    limit = "the limit for an attachment is 50 MB (Preferences → Models → Attachments)"
    assert line == f"parley: huge.txt: is 60 MB; {limit}\n"
    assert server.requests == []


async def test_an_image_for_a_text_only_provider_is_refused_before_sending(
    server: ScriptedServer, tmp_path: Path
) -> None:
    picture = make_png(tmp_path / "red.png")
    server.handle = answer_and_no_models
    run = await ask(
        tmp_path / "data",
        *("--provider", "yqcloud", "--base-url", server.url("/api/generateStream")),
        *("--attach", str(picture)),
        "What is it?",
    )

    assert run.returncode == 1
    line = run.error_line
    assert "does not take images" in line
    assert "vision model" in line
    assert server.requests == []
    assert saved(tmp_path / "data") == []
