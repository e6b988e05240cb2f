"""Benchmark: 200 addresses through ``test-policy`` against one-by-one sequential
``Test-ApplicationAccessPolicy`` calls.

The emulator runs in its own process with ``--latency 200ms`` on every admin API call. A
fixture tenant (``POST /_emulator/tenants``) holds 200 bulk users and an app "Bench Mailer";
a mail-enabled security group made with New-DistributionGroup holds the first 50 users, and
a RestrictAccess policy confines the app to that group. Both runs use the same admin client
(same HTTP connections, token already fetched). Reported: both times, the ratio (target
≥ 4× faster), and that both runs gave the same verdicts.

    python bench/test_policy.py [--latency 200ms] [--users 200] [--workers 8]
"""

from __future__ import annotations

import argparse
import json
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

from sendscope.admin import AdminConnection, AdminSession
from sendscope.auth.credentials import AppIdentity, ClientSecret, Secret
from sendscope.clients.exchange import ExchangeAdminClient
from sendscope.clouds import emulator_cloud
from sendscope.emulator.seeds.tenants import ADMIN_APP
from sendscope.testpolicy import run_test_policy

DOMAIN = "bench.onmicrosoft.com"
MEMBERS = 50


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


def create_tenant(info: dict[str, Any], users: int) -> dict[str, Any]:
    fixture = {
        "domain": DOMAIN,
        "displayName": "Bench",
        "bulkUsers": {"count": users, "prefix": "user"},
        "apps": [{"displayName": "Bench Mailer", "roles": ["Mail.Send"]}, ADMIN_APP],
    }
    ctx = ssl.create_default_context(cafile=info["ca_cert"])
    response = httpx2.post(
        f"{info['url']}/_emulator/tenants", json=fixture, verify=ctx, timeout=120
    )
    if response.is_error:
        raise SystemExit(f"cannot create the bench tenant: {response.text}")
    return dict(response.json())


def admin_session(info: dict[str, Any], tenant: dict[str, Any]) -> AdminSession:
    admin = tenant["admin"]
    identity = AppIdentity(
        tenant["id"], admin["client_id"], ClientSecret(Secret(admin["client_secret"]))
    )
    cloud = emulator_cloud(info["url"])
    return AdminSession(AdminConnection(cloud, tenant["id"], identity, None, Path(info["ca_cert"])))


def sequential(exchange: ExchangeAdminClient, app: str, addresses: list[str]) -> list[str]:
    return [
        str(exchange.test_application_access_policy(identity=a, app_id=app)["AccessCheckResult"])
        for a in addresses
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", default="200ms")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="sendscope-bench-tp-"))
    proc = start_emulator(data_dir, args.latency)
    try:
        info = json.loads((data_dir / "emulator.json").read_text())
        tenant = create_tenant(info, args.users)
        app = next(a for a in tenant["apps"] if a["name"] == "Bench Mailer")["client_id"]
        width = len(str(args.users))
        addresses = [f"user{i:0{width}d}@{DOMAIN}" for i in range(1, args.users + 1)]
        with admin_session(info, tenant) as session:
            exchange = session.exchange
            exchange.new_distribution_group(
                name="Bench Senders",
                alias="benchsenders",
                display_name=None,
                primary_smtp_address=None,
                members=addresses[:MEMBERS],
            )
            exchange.new_application_access_policy(
                app_id=app,
                scope=f"benchsenders@{DOMAIN}",
                access_right="RestrictAccess",
                description=" ",
            )
            exchange.get_recipient(addresses[0])  # warm-up: token, TLS connection
            start = time.perf_counter()
            one_by_one = sequential(exchange, app, addresses)
            slow = time.perf_counter() - start
            start = time.perf_counter()
            report = run_test_policy(exchange, app, addresses, workers=args.workers)
            fast = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    verdicts = [c.server for c in report.checks]
    same = verdicts == one_by_one
    granted = verdicts.count("Granted")
    print(f"{len(addresses)} addresses, latency {args.latency}, {args.workers} workers")
    print(f"sequential Test-ApplicationAccessPolicy: {slow:.2f} s")
    print(f"test-policy (reads + concurrent tests + evaluator): {fast:.2f} s")
    print(f"ratio {slow / fast:.1f}x faster (target >= 4x)")
    print(
        f"verdicts: {granted} granted, {len(verdicts) - granted} denied; same in both runs: "
        f"{same}; disagreements with the evaluator: {len(report.disagreements)}"
    )
    return 0 if same and not report.disagreements and slow / fast >= 4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
