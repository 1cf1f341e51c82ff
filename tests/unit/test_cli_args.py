"""`parley` argument parsing (spec/cli.md): options, defaults, and usage errors as one line + exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app import __version__
from desktop_app.__main__ import EXIT_USAGE, build_parser, main


def parse(*argv: str) -> dict[str, object]:
    return vars(build_parser().parse_args(list(argv)))


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as caught:
        main(list(argv))
    assert caught.value.code == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err  # one line, not argparse's usage block
    assert captured.err.startswith("parley: error: ")
    return captured.err


def test_ask_defaults() -> None:
    assert parse("ask", "hello") == {
        "selftest": False,
        "quick": False,
        "data_dir": None,
        "command": "ask",
        "provider": None,
        "base_url": None,
        "model": None,
        "system": None,
        "timeout": None,
        "proxy": None,
        "no_proxy": False,
        "attach": [],
        "no_save": False,
        "prompt": "hello",
    }


def test_every_ask_option() -> None:
    args = parse(
        "ask",
        "--provider",
        "openai",
        "--base-url",
        "http://127.0.0.1:8080/v1",
        "--model",
        "SmolLM2",
        "--system",
        "Be brief.",
        "--timeout",
        "2.5",
        "--proxy",
        "socks5h://user:pw@127.0.0.1:1080",
        "--no-save",
        "-",
    )
    assert args["provider"] == "openai"
    assert args["base_url"] == "http://127.0.0.1:8080/v1"
    assert args["model"] == "SmolLM2"
    assert args["system"] == "Be brief."
    assert args["timeout"] == 2.5
    assert args["proxy"] == "socks5h://user:pw@127.0.0.1:1080"
    assert args["no_save"] is True
    assert args["prompt"] == "-"


@pytest.mark.parametrize(
    "argv",
    [
        ("--data-dir", "/tmp/p", "ask", "hi"),
        ("ask", "--data-dir", "/tmp/p", "hi"),
        ("ask", "hi", "--data-dir", "/tmp/p"),
    ],
)
def test_data_dir_is_accepted_before_and_after_ask(argv: tuple[str, ...]) -> None:
    assert parse(*argv)["data_dir"] == Path("/tmp/p")


def test_data_dir_for_the_app() -> None:
    args = parse("--data-dir", "portable", "--quick")
    assert args["data_dir"] == Path("portable")
    assert args["quick"] is True
    assert args["command"] is None


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"parley {__version__}\n"


def test_proxy_and_no_proxy_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    line = usage_error(capsys, "ask", "--proxy", "http://127.0.0.1:3128", "--no-proxy", "hi")
    assert "--no-proxy" in line


def test_a_malformed_proxy_is_a_usage_error_that_hides_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = usage_error(capsys, "ask", "--proxy", "http://me:hunter2@proxy:notaport", "hi")
    assert "--proxy" in line
    assert "hunter2" not in line
    line = usage_error(capsys, "ask", "--proxy", "ftp://proxy:21", "hi")
    assert "'ftp' is not supported" in line


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf", "100000"])
def test_bad_timeouts(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert "--timeout" in usage_error(capsys, "ask", "--timeout", value, "hi")


@pytest.mark.parametrize("value", ["127.0.0.1:8080", "ftp://host/v1", "http://"])
def test_bad_base_urls(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert "--base-url" in usage_error(capsys, "ask", "--base-url", value, "hi")


def test_missing_prompt_and_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert "PROMPT" in usage_error(capsys, "ask")
    assert "--frobnicate" in usage_error(capsys, "ask", "--frobnicate", "hi")
    assert "--selftest" in usage_error(capsys, "--selftest", "--quick")


def test_ask_cannot_be_mixed_with_other_modes(capsys: pytest.CaptureFixture[str]) -> None:
    usage_error(capsys, "--selftest", "ask", "hi")


def test_an_empty_prompt_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "   "]) == EXIT_USAGE
    assert capsys.readouterr().err == "parley: error: the prompt is empty (see parley ask --help)\n"


def test_attach_is_repeatable_and_keeps_the_order() -> None:
    parsed = parse("ask", "--attach", "a.png", "--attach", "notes.pdf", "what is this?")
    assert parsed["attach"] == [Path("a.png"), Path("notes.pdf")]
