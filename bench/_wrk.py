"""wrk through Envoy: one Lua script per path (the credential on every request, a distinct Idempotency-Key per
evaluate, a distinct small text per upload), and its summary parsed into req/s and p50/p99.

wrk rather than a Python client: the load generator must not be the bottleneck of a path that answers in a few
milliseconds, and wrk's C event loop costs far less CPU per request than any Python client on the same 2 cores.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench._report import say

WRK_SETUP_HINT = "apt-get install -y wrk (Debian package `wrk`)"

# Each wrk thread has its own Lua state: `id` (set in setup) keeps the keys and texts of the threads apart.
# Requests take the bench's API keys in turn (`%(keys)s`, a Lua list): the limiter's largest class is 1,000
# requests/s per key, which one key would cap the paths at (429s, cheap refusals) below the 1,000 req/s target.
_PRELUDE = """
local counter = 0
thread_id = 0  -- a global: thread:set() replaces it in each thread's own state
local threads = {}
local keys = %(keys)s
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end
local function next_key()
  counter = counter + 1
  wrk.headers["Authorization"] = "Bearer " .. keys[(counter + thread_id) %% #keys + 1]
end
"""

_GET = _PRELUDE + """
wrk.method = "GET"
function request()
  next_key()
  return wrk.format(nil)
end
"""

_EVALUATE = _PRELUDE + """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"cv_id":"%(cv_id)s","project_id":"%(project_id)s"}'
function request()
  next_key()
  wrk.headers["Idempotency-Key"] = string.format("%(run)s-%%d-%%d", thread_id, counter)
  return wrk.format(nil)
end
"""

_UPLOAD = _PRELUDE + """
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=BENCHBOUNDARY"
local function part(name, text)
  return "--BENCHBOUNDARY\\r\\nContent-Disposition: form-data; name=\\"" .. name .. "\\"; filename=\\"" .. name
    .. ".txt\\"\\r\\nContent-Type: text/plain\\r\\n\\r\\n" .. text .. "\\r\\n"
end
function request()
  next_key()
  local tag = string.format("%(run)s %%d %%d", thread_id, counter)
  local body = part("cv", "Jane Doe. Backend engineer, 6 years of Python, PostgreSQL, Kubernetes. " .. tag)
    .. part("project", "Project report: an evaluation pipeline with retries and idempotency. " .. tag)
    .. "--BENCHBOUNDARY--\\r\\n"
  return wrk.format(nil, nil, nil, body)
end
"""

# Every answer is checked against the statuses the path should give (`%(expected)s`, a Lua set such as
# `{[200]=true}`): wrk's own "Non-2xx" count cannot tell an expected 404 from a 429 or a 503, and a cheap refusal
# counted as an answer flatters both the rate and the CPU per request.
_CHECK = """
unexpected = 0
first_unexpected = ""
local expected = %(expected)s
function response(status, headers, body)
  if not expected[status] then
    unexpected = unexpected + 1
    if first_unexpected == "" then first_unexpected = tostring(status) end
  end
end
function done(summary, latency, requests)
  local total, first = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
    if first == "" then first = thread:get("first_unexpected") end
  end
  io.write(string.format("Unexpected responses: %%d first %%s\\n", total, first ~= "" and first or "-"))
end
"""

SCRIPTS = {"get": _GET + _CHECK, "evaluate": _EVALUATE + _CHECK, "upload": _UPLOAD + _CHECK}


def lua_list(values: list[str]) -> str:
    """A Lua list of strings (the values are API keys and ids: no quotes or backslashes in them)."""
    return "{" + ",".join(f'"{value}"' for value in values) + "}"


def expected_statuses(*statuses: int) -> str:
    """The Lua set of the statuses a path should answer with."""
    return "{" + ",".join(f"[{status}]=true" for status in statuses) + "}"


@dataclass
class WrkFigures:
    path: str
    connections: int
    seconds: float
    requests: int
    req_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx: int
    socket_errors: int
    status_line: str  # "2xx" or the first non-2xx seen in a probe, for the reader
    unexpected: int = 0  # answers whose status is not one the path should give (errors in the table)
    first_unexpected: str = "-"
    ok_per_s: float = 0.0  # answers with an expected status per second: the path's throughput


def wrk_available() -> str | None:
    return shutil.which("wrk")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(path: str, connections: int, seconds: float, output: str) -> WrkFigures:
    """The numbers of wrk's `--latency` summary."""
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)", output, re.MULTILINE))
    total = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    checked = re.search(r"Unexpected responses: (\d+) first (\S+)", output)
    requests = int(total.group(1)) if total else 0
    unexpected = int(checked.group(1)) if checked else 0
    return WrkFigures(
        path=path,
        connections=connections,
        seconds=seconds,
        requests=requests,
        req_per_s=float(rate.group(1)) if rate else 0.0,
        p50_ms=_ms(percentiles["50"]) if "50" in percentiles else None,
        p99_ms=_ms(percentiles["99"]) if "99" in percentiles else None,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in sock.groups()) if sock else 0,
        status_line="",
        unexpected=unexpected,
        first_unexpected=checked.group(2) if checked else "-",
        ok_per_s=round(float(rate.group(1)) * (requests - unexpected) / requests, 1) if rate and requests else 0.0,
    )


def run_wrk(url: str, script: str, *, path: str, connections: int, seconds: float, threads: int = 1) -> WrkFigures:
    """One bounded wrk run (its own `-d`, plus a hard timeout) against `url` with the Lua `script`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        lua = Path(handle.name)
    try:
        command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--latency",
                   "--timeout", "10s", "-s", str(lua), url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    finally:
        lua.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    figures = parse(path, connections, seconds, done.stdout)
    say(f"  {path:<22} c={connections:<4} {figures.req_per_s:8.1f} req/s  p50 {figures.p50_ms} ms  "
        f"p99 {figures.p99_ms} ms  non-2xx {figures.non_2xx}  unexpected {figures.unexpected} "
        f"(first {figures.first_unexpected})")
    return figures
