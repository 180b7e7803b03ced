"""Structured JSON logs on stdout, with secrets redacted before rendering."""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import msgspec
import structlog
from opentelemetry import trace

REDACTED = "[REDACTED]"
_SENSITIVE = ("password", "secret", "token", "apikey", "authorization", "cookie", "xservicekey")


@functools.lru_cache(maxsize=4096)  # keys repeat (the code's own, header names): answered once each
def is_sensitive(key: str) -> bool:
    flat = key.lower().replace("-", "").replace("_", "")
    return any(word in flat for word in _SENSITIVE)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def redact(value: Any) -> Any:
    if type(value) in _SCALARS:  # most values: no walk
        return value
    if isinstance(value, Mapping):
        return {k: REDACTED if isinstance(k, str) and is_sensitive(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


# A path segment that looks like a credential: a long opaque token (ours are 43+ characters of
# base64url), or a JWT. UUIDs (record and workspace ids) are not secrets and stay readable.
_OPAQUE_SEGMENT = re.compile(r"^(?:[A-Za-z0-9_\-]{24,}|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def redact_path(path: str, params: Mapping[str, object] | None = None) -> str:
    """A request path fit for a log line: secret path parameters and token-like segments redacted.

    No route of ours carries a secret in its path (a test holds that), so this is the second line:
    a parameter named like a secret, and any segment shaped like a token (an old client's link, a
    probe), never reaches a log.
    """
    secrets = {str(v) for k, v in (params or {}).items() if is_sensitive(k) and v}
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment in secrets or (_OPAQUE_SEGMENT.match(segment) and not _UUID.match(segment)):
            segments[i] = REDACTED
    return "/".join(segments)


def redact_processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        event[key] = REDACTED if is_sensitive(key) else redact(event[key])
    return event


def trace_context_processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Inside a recorded span, the line carries its ids as OTLP shows them (hex), so logs and traces meet."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid and context.trace_flags.sampled:
        event["trace_id"] = trace.format_trace_id(context.trace_id)
        event["span_id"] = trace.format_span_id(context.span_id)
    return event


class _Stdout:
    """Resolve sys.stdout at write time, so redirected output (tests, daemons) is honoured."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


_level = logging.INFO
_bound: dict[str, Any] = {}  # loggers bound under the current configuration, by name


def render_json(_: Any, __: str, event: MutableMapping[str, Any]) -> str:
    """The standard library's layout (`{"event": "request", "level": "info"}`: a space after `:` and `,`),
    written by msgspec in a fifth of the time; what JSON cannot hold is written as its `repr`."""
    return msgspec.json.format(_ENCODER.encode(event), indent=0).decode()


_ENCODER = msgspec.json.Encoder(enc_hook=repr)


def bound_logger(name: str) -> Any:
    """A logger bound once per configuration, for a hot path: the lazy proxy `get_logger` returns looks its
    configuration up again on every line. The processors are shared, so `capture_logs` still sees its lines."""
    logger = _bound.get(name)
    if logger is None:
        logger = _bound[name] = structlog.get_logger(name).bind()
    return logger


def debug_enabled() -> bool:
    """Whether DEBUG lines are written: so that a caller builds what only a DEBUG line would carry only then."""
    return _level <= logging.DEBUG


def configure_logging(level: str) -> None:
    global _level
    numeric = logging.getLevelNamesMapping()[level.upper()]
    _level = numeric
    _bound.clear()
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        trace_context_processor,
        redact_processor,
        structlog.processors.format_exc_info,
        render_json,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_Stdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # Libraries that log through the standard library end up as JSON too.
    handler = logging.StreamHandler(_Stdout())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *processors,
            ],
            foreign_pre_chain=[structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.INFO))
    # httpx logs every request URL at INFO; provider query strings hold emails and domains.
    logging.getLogger("httpx").setLevel(logging.WARNING)
