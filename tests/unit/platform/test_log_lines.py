"""Log lines: the standard library's JSON layout, whichever way a line is written."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from adapters.telemetry.logging import configure_logging, iso_timestamp, request_id_var, write_line

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def info_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    configure_logging("INFO")
    capsys.readouterr()
    yield capsys
    configure_logging("INFO")


def test_a_line_through_the_chain_has_json_dumps_layout(info_logs: pytest.CaptureFixture[str]) -> None:
    token = request_id_var.set("r-123456789")
    try:
        structlog.get_logger("t").info("job_finished", status="done", credits=3, ratio=0.5, names=["a", "é"])
    finally:
        request_id_var.reset(token)
    line = info_logs.readouterr().out.strip()
    event = json.loads(line)
    assert list(event) == ["status", "credits", "ratio", "names", "event", "request_id", "level", "timestamp"]
    assert ISO.match(event["timestamp"])
    assert line == json.dumps(event, ensure_ascii=False)  # the same bytes as json.dumps, UTF-8 as it is


def test_the_access_line_is_laid_out_as_the_chain_lays_out_its_lines(info_logs: pytest.CaptureFixture[str]) -> None:
    write_line(logging.INFO, "request", {"method": "GET", "status": 200, "duration_ms": 1.25, "client": None})
    structlog.get_logger("t").info("request", method="GET", status=200, duration_ms=1.25, client=None)
    direct, chained = (json.loads(line) for line in info_logs.readouterr().out.splitlines())
    assert list(direct) == list(chained)
    assert {k: v for k, v in direct.items() if k != "timestamp"} == {
        k: v for k, v in chained.items() if k != "timestamp"
    }


def test_the_access_line_honours_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING")
    try:
        write_line(logging.INFO, "request", {"status": 200})
        write_line(logging.ERROR, "request", {"status": 500})
    finally:
        configure_logging("INFO")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["status"], line["level"]) for line in lines] == [(500, "error")]


def test_timestamps_carry_microseconds_and_move_on() -> None:
    first = iso_timestamp()
    assert ISO.match(first)
    assert iso_timestamp() >= first
