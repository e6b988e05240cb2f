"""Benchmark: ``sendscope audit`` on a tenant of 100,000 mailboxes, against the minimum
number of requests and against the naive approach.

The synthetic tenant (seeds/synthetic.py: 100,000 mailboxes of which 3 % shared, 1,000
users without a mailbox, 3,000 mail-enabled security groups nested up to 5 deep, 300 apps
with mailbox permissions, 300 Application Access Policies) is loaded into a data directory
by a separate process (``bench/_synthetic_load.py``; loading is not timed), then served by
``sendscope emulator serve`` in its own process (``--latency 0ms``). This process runs the
audit use case (``run_audit``: permission check, tokens, every read, the evaluator) through
the real clients over HTTPS, and reports:

- HTTP requests made (the reader's own count, retries included) against the minimum
  possible: the pages of each collection the audit must read (snapshot.py), at Graph's
  ``$top=999`` and the admin API's 1,000 per page (what the ExchangeOnlineManagement module
  asks for), from the sizes counted in the database. Target: at most 1.2 × the minimum.
- wall time of the audit, emulator included (both processes share this machine's cores).
  Target: under 60 s on 2 cores.
- peak memory (high-water RSS) of this process and of the emulator process.
- the naive approach: one ``Test-ApplicationAccessPolicy`` per app and mailbox, timed on a
  random sample of pairs through the same Exchange admin client, extrapolated to every app
  × every mailbox; and the same count at what real cmdlets cost (0.5-2 s a call,
  m365-domain.md §6 / architecture.md ``--latency``).

    python bench/audit_scale.py [--mailboxes 100000] [--sample 200] [--split]

``--split`` also times a second read and the evaluator alone. Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sendscope.admin import AdminConnection, AdminSession
from sendscope.audit import run_audit
from sendscope.auth.credentials import AppIdentity, ClientSecret, Secret
from sendscope.clouds import emulator_cloud
from sendscope.policy.audit import evaluate_audit
from sendscope.snapshot import read_snapshot_with_stats

HERE = Path(__file__).resolve().parent
GRAPH_PAGE = 999  # $top's largest value
EXCHANGE_PAGE = 1000  # Prefer: odata.maxpagesize=1000, as the module asks
REAL_CMDLET_SECONDS = (0.5, 2.0)  # what one real Exchange cmdlet call takes
REQUESTS_TARGET = 1.2
SECONDS_TARGET = 60.0


def pages(items: int, size: int) -> int:
    """Requests to read a collection: an empty one still costs one."""
    return max(1, math.ceil(items / size))


def minimum_requests(sizes: dict[str, Any]) -> dict[str, int]:
    """The fewest requests that read what the audit must read, by collection."""
    return {
        "servicePrincipals": pages(sizes["servicePrincipals"], GRAPH_PAGE),
        "resources (appRoles)": sizes["resources"],
        "appRoleAssignedTo": sum(pages(n, GRAPH_PAGE) for n in sizes["appRoleAssignedTo"]),
        "roleAssignments": pages(sizes["roleAssignments"], GRAPH_PAGE),
        "applications": pages(sizes["applications"], GRAPH_PAGE),
        "users": pages(sizes["users"], GRAPH_PAGE),
        "Get-Mailbox": pages(sizes["mailboxes"], EXCHANGE_PAGE),
        "Get-Recipient (scopes)": pages(sizes["scopeRecipients"], EXCHANGE_PAGE),
        "Get-ApplicationAccessPolicy": pages(sizes["accessPolicies"], EXCHANGE_PAGE),
        "transitiveMembers": sum(pages(n, GRAPH_PAGE) for n in sizes["transitiveMembers"]),
    }


def load(data_dir: Path, mailboxes: int, sample: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "_synthetic_load.py"),
            str(data_dir),
            "--mailboxes",
            str(mailboxes),
            "--sample",
            str(sample),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out))


@contextmanager
def emulator(data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sendscope", "emulator", "serve", "--port", "0",
         "--data-dir", str(data_dir), "--latency", "0ms"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        if not proc.stdout.readline().startswith("emulator ready"):
            raise SystemExit("the emulator did not start")
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def peak_rss_mb(pid: int | None = None) -> float:
    """High-water resident memory: this process, or another one still running (Linux)."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def admin_session(info: dict[str, Any], tenant_id: str) -> AdminSession:
    tenant = next(t for t in info["tenants"] if t["id"] == tenant_id)
    admin = tenant["admin"]
    identity = AppIdentity(
        tenant_id, admin["client_id"], ClientSecret(Secret(admin["client_secret"]))
    )
    cloud = emulator_cloud(info["url"])
    return AdminSession(AdminConnection(cloud, tenant_id, identity, None, Path(info["ca_cert"])))


@dataclass(frozen=True)
class Naive:
    calls: int
    seconds: float
    granted: int

    @property
    def per_call(self) -> float:
        return self.seconds / self.calls


def naive_sample(session: AdminSession, pairs: list[list[str]]) -> Naive:
    exchange = session.exchange
    exchange.test_application_access_policy(identity=pairs[0][1], app_id=pairs[0][0])  # warm
    start = time.perf_counter()
    verdicts = [
        exchange.test_application_access_policy(identity=mailbox, app_id=app)["AccessCheckResult"]
        for app, mailbox in pairs
    ]
    return Naive(len(pairs), time.perf_counter() - start, verdicts.count("Granted"))


def duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.1f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--split", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sendscope-bench-audit-"))
    try:
        loaded = load(work, args.mailboxes, args.sample)
        with emulator(work) as proc:
            info = json.loads((work / "emulator.json").read_text())
            before = peak_rss_mb()
            with admin_session(info, loaded["tenant"]) as session:
                start = time.perf_counter()
                result = run_audit(session, now=datetime.now(UTC))
                wall = time.perf_counter() - start
                audit_rss, emulator_rss = peak_rss_mb(), peak_rss_mb(proc.pid)
                split = measure_split(session) if args.split else None
                naive = naive_sample(session, loaded["pairs"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(loaded, result, wall, (before, audit_rss, emulator_rss), split, naive)


def measure_split(session: AdminSession) -> tuple[float, float]:
    start = time.perf_counter()
    snapshot, _ = read_snapshot_with_stats(session)
    read = time.perf_counter() - start
    start = time.perf_counter()
    evaluate_audit(snapshot, now=datetime.now(UTC))
    return read, time.perf_counter() - start


def report(
    loaded: dict[str, Any],
    result: Any,
    wall: float,
    memory: tuple[float, float, float],
    split: tuple[float, float] | None,
    naive: Naive,
) -> int:
    sizes, stats = loaded["sizes"], result.stats
    minimum = minimum_requests(sizes)
    least, made = sum(minimum.values()), int(stats.get("requests", 0))
    apps = len(result.apps)
    print(
        f"synthetic tenant: {sizes['mailboxes']:,} mailboxes, {sizes['users']:,} users, "
        f"{sizes['groups']:,} groups, {sizes['servicePrincipals']:,} service principals, "
        f"{sizes['accessPolicies']} policies over {len(sizes['transitiveMembers'])} scope "
        f"groups ({sum(sizes['transitiveMembers']):,} transitive members); "
        f"loaded in {loaded['load_seconds']:.1f} s (not timed)"
    )
    print(f"\n{'collection':30}{'items':>10}{'min requests':>14}{'pages read':>12}")
    for name, count in minimum.items():
        key = _stats_key(name)
        print(f"{name:30}{_items(sizes, name):>10}{count:>14}{stats.get(key, '?'):>12}")
    ratio = made / least
    print(f"\nrequests made {made} / minimum {least} = {ratio:.2f}x (target <= {REQUESTS_TARGET}x)")
    print(f"audit wall time {wall:.1f} s, emulator included (target < {SECONDS_TARGET:.0f} s)")
    if split is not None:
        print(f"  a second read alone {split[0]:.1f} s; the evaluator alone {split[1]:.1f} s")
    before, audit_rss, emulator_rss = memory
    print(
        f"peak memory: audit process {audit_rss:.0f} MB ({before:.0f} MB before the audit), "
        f"emulator process {emulator_rss:.0f} MB"
    )
    severities = Counter(f.severity.value for f in result.findings)
    print(
        f"result: {result.mailbox_count:,} mailboxes, {apps} apps with mailbox permissions, "
        f"findings {dict(severities)}"
    )
    pairs = apps * sizes["mailboxes"]
    low, high = (pairs * s for s in REAL_CMDLET_SECONDS)
    print(
        f"\nnaive: one Test-ApplicationAccessPolicy per app and mailbox = {apps} x "
        f"{sizes['mailboxes']:,} = {pairs:,} requests ({pairs / made:,.0f}x the audit's)\n"
        f"  measured {naive.calls} calls in {naive.seconds:.2f} s = {naive.per_call * 1000:.1f} ms "
        f"a call on this emulator (--latency 0): {duration(pairs * naive.per_call)}\n"
        f"  at real cmdlet cost ({REAL_CMDLET_SECONDS[0]}-{REAL_CMDLET_SECONDS[1]} s a call): "
        f"{duration(low)} to {duration(high)} sequentially"
    )
    ok = ratio <= REQUESTS_TARGET and wall < SECONDS_TARGET
    print(f"\n{'meets' if ok else 'misses'} both targets")
    return 0 if ok else 1


def _stats_key(name: str) -> str:
    keys = {
        "resources (appRoles)": "pages.resources",
        "Get-Mailbox": "pages.mailboxes",
        "Get-Recipient (scopes)": "pages.scopeRecipients",
        "Get-ApplicationAccessPolicy": "pages.accessPolicies",
    }
    return keys.get(name, f"pages.{name}")


def _items(sizes: dict[str, Any], name: str) -> str:
    keys = {
        "resources (appRoles)": "resources",
        "Get-Mailbox": "mailboxes",
        "Get-Recipient (scopes)": "scopeRecipients",
        "Get-ApplicationAccessPolicy": "accessPolicies",
    }
    value = sizes[keys.get(name, name)]
    return f"{sum(value) if isinstance(value, list) else value:,}"


if __name__ == "__main__":
    raise SystemExit(main())
