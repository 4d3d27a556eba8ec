"""Log lines are JSON objects that join to their trace."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from cveval_kit.logs import configure_logging


def test_a_log_line_is_json_with_the_current_trace_and_span_ids() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("unit", "INFO")
        stream = io.StringIO()
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
        tracer = TracerProvider().get_tracer("test")
        with tracer.start_as_current_span("work") as span:
            logging.getLogger("cveval.test").info("scored %s", "job-1", extra={"job_id": "job-1"})
        logging.getLogger("cveval.test").warning("outside")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    ctx = span.get_span_context()
    assert inside["message"] == "scored job-1" and inside["level"] == "INFO" and inside["job_id"] == "job-1"
    assert inside["trace_id"] == format(ctx.trace_id, "032x") and inside["span_id"] == format(ctx.span_id, "016x")
    assert inside["service"] == "unit" and inside["logger"] == "cveval.test" and inside["time"]
    assert outside["trace_id"] == "" and outside["span_id"] == ""
