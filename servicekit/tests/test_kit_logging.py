"""Secrets never reach a log line, whatever the caller passed."""

import io
import json
import logging

from pythonjsonlogger.json import JsonFormatter

from servicekit.logging import RedactingFilter, TraceIdFilter, redact_text


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TraceIdFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("redaction-test")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_free_text_secrets_are_masked():
    text = redact_text(
        "Authorization: Bearer abc.def password=hunter2 rtsp://admin:S3cret@10.0.0.9/live"
    )
    assert "abc.def" not in text and "hunter2" not in text and "S3cret" not in text
    assert "rtsp://admin:" in text


def test_log_arguments_and_extra_fields_are_masked():
    logger, stream = capture()
    logger.info("login with %s", "password=hunter2", extra={"client_secret": "xyz", "epe": "e1"})
    record = json.loads(stream.getvalue())
    assert "hunter2" not in stream.getvalue() and "xyz" not in stream.getvalue()
    assert record["epe"] == "e1"
