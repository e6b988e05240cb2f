"""Benchmark: 500 messages from 20 mailboxes through ``AsyncMailer.send_many``.

The emulator runs in its own process with Outlook's limits on (4 concurrent requests per
app and mailbox, answered 429 ``ApplicationThrottled`` beyond) and ``--latency 500ms`` on
every mailbox call. At that latency the limits allow 4 / 0.5 s = 8 messages a second per
mailbox, 160 a second for 20 mailboxes. 25 messages per mailbox stay under Exchange
Online's 30 a minute, so the pacer never waits. Reported: the achieved rate against that
allowed rate (target ≥ 80 %), the 429s seen (each one retried), and the outbox count —
exactly 500, no duplicates.

    python bench/bulk_send.py [--latency 500ms] [--mailboxes 20] [--per-mailbox 25]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx2

from sendscope.auth.trust import ssl_context
from sendscope.connection import ConnectionOptions
from sendscope.emulator.core.durations import parse_duration
from sendscope.mail import AsyncMailer, OutgoingMessage

DOMAIN = "contoso.onmicrosoft.com"
CONCURRENCY_PER_MAILBOX = 4


class CountingTransport(httpx2.AsyncBaseTransport):
    """Counts the statuses Graph answered (the mailer retries 429s inside)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.statuses: Counter[int] = Counter()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/sendMail"):
            self.statuses[response.status_code] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def start_emulator(data_dir: Path, latency: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sendscope",
            "emulator",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--latency",
            latency,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if not proc.stdout.readline().startswith("emulator ready"):
        raise SystemExit("the emulator did not start")
    return proc


def messages(mailboxes: int, per_mailbox: int, run: str) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            f"staff{m:02d}@{DOMAIN}",
            (f"ceo@{DOMAIN}",),
            f"bulk {run} {m}-{i}",
            "A bulk message.",
            save_to_sent_items=False,
        )
        for i in range(per_mailbox)
        for m in range(1, mailboxes + 1)
    ]


async def send_all(
    data_dir: Path, batch: list[OutgoingMessage]
) -> tuple[float, Counter[int], list]:
    info = json.loads((data_dir / "emulator.json").read_text())
    counting = CountingTransport(
        httpx2.AsyncHTTPTransport(
            verify=ssl_context(Path(info["ca_cert"])), limits=httpx2.Limits(max_connections=200)
        )
    )
    async with AsyncMailer.connect(
        ConnectionOptions(emulator=data_dir), transport=counting
    ) as mailer:
        await mailer.send(
            OutgoingMessage(
                f"it@{DOMAIN}", (f"it@{DOMAIN}",), "warm-up", "x", save_to_sent_items=False
            )
        )  # token, connections
        counting.statuses.clear()
        start = time.perf_counter()
        results = await mailer.send_many(batch)
        elapsed = time.perf_counter() - start
    return elapsed, counting.statuses, results


def outbox(data_dir: Path, run: str) -> list[str]:
    info = json.loads((data_dir / "emulator.json").read_text())
    ctx = ssl.create_default_context(cafile=info["ca_cert"])
    body = httpx2.get(
        f"{info['url']}/_emulator/outbox",
        params={"subject": f"bulk {run} ", "limit": "1000"},
        verify=ctx,
    ).json()
    return [m["subject"] for m in body["messages"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", default="500ms")
    parser.add_argument("--mailboxes", type=int, default=20)
    parser.add_argument("--per-mailbox", type=int, default=25)
    args = parser.parse_args()
    latency = parse_duration(args.latency)
    data_dir = Path(tempfile.mkdtemp(prefix="sendscope-bulk-"))
    proc = start_emulator(data_dir, args.latency)
    run = str(int(time.time()))
    try:
        batch = messages(args.mailboxes, args.per_mailbox, run)
        elapsed, statuses, results = asyncio.run(send_all(data_dir, batch))
        subjects = outbox(data_dir, run)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    allowed = args.mailboxes * CONCURRENCY_PER_MAILBOX / latency
    achieved = len(batch) / elapsed
    accepted = sum(r.accepted for r in results)
    print(f"{len(batch)} messages, {args.mailboxes} mailboxes, latency {args.latency}")
    print(
        f"time {elapsed:.2f} s; achieved {achieved:.1f} msg/s; allowed {allowed:.1f} msg/s "
        f"({achieved / allowed:.0%} of allowed; target 80 %)"
    )
    print(
        f"accepted {accepted}/{len(batch)}; sendMail answers {dict(sorted(statuses.items()))}; "
        f"429s retried {statuses.get(429, 0)}"
    )
    dupes = len(subjects) - len(set(subjects))
    print(f"outbox: {len(subjects)} messages, {dupes} duplicates")
    return 0 if accepted == len(batch) == len(subjects) and dupes == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
