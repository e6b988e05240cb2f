"""Benchmark: authenticated ``sendMail`` on the emulator against a bare Starlette hello-world.

Both servers run in their own process on the same uvicorn stack (TLS, httptools, uvloop),
pinned to one core; the same load generator (wrk, pinned to the other core) drives each in
turn, in one run, with the same request: ``POST /v1.0/users/staffNN@…/sendMail`` (the 22
staff mailboxes in turn, so that none passes Outlook's 4 concurrent requests) with a JSON
message to an internal recipient. The emulator verifies the token (RS256 signature,
expiry, audience, tenant), checks ``Mail.Send`` and the access policies, resolves both
mailboxes and stores the message (Sent Items, the recipient's Inbox, the outbox; written
in batches within 50 ms of the 202, so the batches' cost is in the measured rate).
Target: at least 40 % of the bare rate.

    python bench/emulator_throughput.py [--seconds 10] [--connections 32]

Needs wrk (Debian: ``apt-get install wrk``). Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

HERE = Path(__file__).resolve().parent
SENDER = "ceo@contoso.onmicrosoft.com"
# The demo tenant's 22 staff mailboxes: with 32 connections, about 1.5 requests each.
SENDERS = [f"staff{i:02d}@contoso.onmicrosoft.com" for i in range(1, 23)]
MESSAGE = {
    "message": {
        "subject": "Timesheet reminder",
        "body": {"contentType": "Text", "content": "Please submit your timesheet by Friday."},
        "toRecipients": [{"emailAddress": {"address": "hr@contoso.onmicrosoft.com"}}],
    },
    "saveToSentItems": True,
}


@dataclass(frozen=True)
class Result:
    name: str
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


@contextmanager
def server(cmd: list[str], marker: str) -> Iterator[list[str]]:
    """Start a server pinned to core 0; yield the words of its ready line."""
    proc = subprocess.Popen(["taskset", "-c", "0", *cmd], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if marker not in line:
            raise SystemExit(f"server did not start: {line!r}")
        yield line.split()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stdout:
            proc.stdout.close()


def app_token(info: dict[str, object]) -> str:
    tenant = info["tenants"][0]  # type: ignore[index]
    app = tenant["apps"][0]
    ctx = ssl.create_default_context(cafile=str(info["ca_cert"]))
    response = httpx2.post(
        f"{info['url']}/{tenant['id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=ctx,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def wrk(name: str, url: str, token: str, seconds: int, connections: int) -> Result:
    """Drive ``url`` with wrk: POST sendMail, the sending mailbox rotating over SENDERS so
    that no mailbox sees more than Outlook's 4 concurrent requests (the emulator answers
    429 beyond, as Exchange does)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    body = json.dumps(MESSAGE).replace("\\", "\\\\").replace('"', '\\"')
    paths = ", ".join(f'"/v1.0/users/{s}/sendMail"' for s in SENDERS)
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{body}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        f"local paths = {{{paths}}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  return wrk.format(nil, paths[(n % #paths) + 1])\n"
        "end\n"
    )
    target = f"{url}/v1.0/users/{SENDER}/sendMail"
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            target,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    try:
        return parse(name, out)
    except AttributeError:
        raise SystemExit(f"could not read wrk's output for {name}:\n{out}") from None


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)$", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse(name: str, out: str) -> Result:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # The latency distribution's own lines: "72.50%" ends a line of the thread stats too.
    p50 = re.search(r"^\s+50%\s+(\S+)$", out, re.M).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)$", out, re.M).group(1)  # type: ignore[union-attr]
    return Result(name, rate, _ms(p50), _ms(p99), total, int(errors.group(1)) if errors else 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.stderr.write("this benchmark needs wrk: apt-get install wrk\n")
        return 2
    work = Path(tempfile.mkdtemp(prefix="sendscope-bench-"))
    try:
        emu_cmd = [
            sys.executable,
            "-m",
            "sendscope",
            "emulator",
            "serve",
            "--port",
            "0",
            "--seed",
            "demo",
        ]
        with server(emu_cmd, "emulator ready") as words:
            info = json.loads(Path(words[3]).read_text())
            token = app_token(info)
            emulator = wrk("emulator sendMail", words[2], token, args.seconds, args.connections)
        bare_cmd = [sys.executable, str(HERE / "_bare_server.py"), str(work)]
        with server(bare_cmd, "ready") as words:
            bare = wrk("bare Starlette 202", words[1], token, args.seconds, args.connections)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(bare, emulator, args)
    return 0 if emulator.errors == 0 else 1


def report(bare: Result, emulator: Result, args: argparse.Namespace) -> None:
    print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, server on core 0, wrk on core 1")
    print(f"{'':22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}{'non-2xx':>9}")
    for r in (bare, emulator):
        print(
            f"{r.name:22}{r.rate:>10.0f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}{r.requests:>10}"
            f"{r.errors:>9}"
        )
    ratio = emulator.rate / bare.rate if bare.rate else 0.0
    verdict = "meets" if ratio >= 0.40 else "misses"
    print(f"ratio emulator/bare: {ratio:.1%} ({verdict} the 40 % target)")


if __name__ == "__main__":
    raise SystemExit(main())
