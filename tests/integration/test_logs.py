"""The log file never shows a secret."""

from __future__ import annotations

import logging
from pathlib import Path

from desktop_app.logs import Redactor, setup_logging

KEY = "sk-parley-test-0123456789abcdef"


def test_the_log_file_masks_secrets(tmp_path: Path) -> None:
    log_file = tmp_path / "parley.log"
    handler = setup_logging(log_file, Redactor([KEY]))
    logger = logging.getLogger("desktop_app.test")
    try:
        logger.warning("server said: Incorrect API key provided: %s", KEY)
        logger.warning("headers {'Authorization': 'Bearer abcdef0123456789'}")
        logger.warning("proxy socks5://bob:hunter2@127.0.0.1:1080 refused")
        logger.warning('body {"api_key": "zz-secret-zz", "model": "m"} and ?token=tok-secret-1&x=1')
        logger.warning("a key shaped like a key: sk-proj-AbCdEf0123456789")
        try:
            raise ValueError(f"bad key {KEY}")
        except ValueError:
            logger.exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = log_file.read_text(encoding="utf-8")
    for secret in (KEY, "abcdef0123456789", "hunter2", "zz-secret-zz", "tok-secret-1", "AbCdEf0123456789"):
        assert secret not in text
    assert "socks5://bob:***@127.0.0.1:1080" in text
    assert "Bearer ***" in text
    assert '"model": "m"' in text
    assert "ValueError: bad key ***" in text  # the traceback is there, redacted


# The recorder that saves while streaming ---------------------------------------------------------
