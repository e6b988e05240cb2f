"""Benchmark: authenticated ``sendMail`` on the emulator against a bare Starlette hello-world.

Both servers run in their own process on the same uvicorn stack (TLS, httptools, uvloop),
pinned to one core; the same load generator (wrk, pinned to the other core) drives each in
turn, in one run, for ``--rounds`` rounds (a fresh server each time, the order swapping every
round; the verdict is the median ratio: on a shared VM one pair can be off by a third), with
the same request: ``POST /v1.0/users/staffNN@…/sendMail`` (the 22 staff mailboxes in turn,
so that none passes Outlook's 4 concurrent requests) with a JSON message to an internal
recipient. The emulator verifies the token (RS256 signature, expiry, audience, tenant; a
token seen before is remembered, its lifetime and tenant checked again), checks
``Mail.Send`` and the access policies, resolves both mailboxes and stores the message (Sent
Items, the recipient's Inbox, the outbox; written in batches within 50 ms of the 202, so
the batches' cost is in the measured rate).
Target: at least 40 % of the bare rate.

    python bench/emulator_throughput.py [--seconds 10] [--connections 32] [--rounds 3]

Needs wrk (Debian: ``apt-get install wrk``). Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import ssl
import statistics
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
    parser.add_argument("--rounds", type=int, default=3, help="pairs of runs (median reported)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.stderr.write("this benchmark needs wrk: apt-get install wrk\n")
        return 2
    work = Path(tempfile.mkdtemp(prefix="sendscope-bench-"))
    emu_cmd = [sys.executable, "-m", "sendscope", "emulator", "serve", "--port", "0"]
    bare_cmd = [sys.executable, str(HERE / "_bare_server.py"), str(work)]
    pairs: list[tuple[Result, Result]] = []

    def run_emulator() -> tuple[Result, str]:
        # A fresh emulator each round: every run starts from the demo tenant's empty mailboxes.
        with server([*emu_cmd, "--seed", "demo"], "emulator ready") as words:
            token = app_token(json.loads(Path(words[3]).read_text()))
            return wrk("emulator sendMail", words[2], token, args.seconds, args.connections), token

    def run_bare(token: str) -> Result:
        with server(bare_cmd, "ready") as words:
            return wrk("bare Starlette 202", words[1], token, args.seconds, args.connections)

    try:
        # The order swaps every round, so that the machine's drift falls on both alike; the
        # bare server gets the same request, token included (round 0 makes the first).
        token = ""
        for n in range(args.rounds):
            if n % 2:
                bare = run_bare(token)
                emulator, token = run_emulator()
            else:
                emulator, token = run_emulator()
                bare = run_bare(token)
            pairs.append((bare, emulator))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(pairs, args)
    return 0 if all(e.errors == 0 for _, e in pairs) else 1


def report(pairs: list[tuple[Result, Result]], args: argparse.Namespace) -> None:
    print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, server on core 0, wrk on core 1")
    print(
        f"{'round':<7}{'':22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}"
        f"{'non-2xx':>9}{'ratio':>8}"
    )
    ratios = []
    for n, (bare, emulator) in enumerate(pairs, 1):
        ratio = emulator.rate / bare.rate if bare.rate else 0.0
        ratios.append(ratio)
        for r, shown in ((bare, ""), (emulator, f"{ratio:.1%}")):
            print(
                f"{n:<7}{r.name:22}{r.rate:>10.0f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}"
                f"{r.requests:>10}{r.errors:>9}{shown:>8}"
            )
    median = statistics.median(ratios)
    verdict = "meets" if median >= 0.40 else "misses"
    print(f"ratio emulator/bare, median of {len(ratios)}: {median:.1%} ({verdict} the 40 % target)")


if __name__ == "__main__":
    raise SystemExit(main())
