"""Load the synthetic audit tenant into ``DIR/state.db`` and print its sizes as JSON.

Run in its own process by ``bench/audit_scale.py`` so that neither the benchmark's nor the
emulator's peak memory includes the load (loading is not what is measured).

    python bench/_synthetic_load.py DIR [--mailboxes 100000] [--seed 6] [--sample 200]

The sizes printed are those the minimum number of requests is computed from: each
collection the audit reads (snapshot.py), counted in the database, and the transitive
member count of every group an access policy is scoped to.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import EXCHANGE_APP_ID, GRAPH_APP_ID, Directory
from sendscope.emulator.seeds.fixtures import apply_fixture
from sendscope.emulator.seeds.tenants import synthetic_fixture


def sizes(state: EmulatorState, tenant_id: str) -> dict[str, Any]:
    """What the audit must read, counted in the store."""

    def count(sql: str, *args: Any) -> int:
        return int(state.store.scalar(sql, (tenant_id, *args)))

    directory = Directory(state.store)
    graph = directory.service_principal_by_app_id(tenant_id, GRAPH_APP_ID)
    exchange = directory.service_principal_by_app_id(tenant_id, EXCHANGE_APP_ID)
    assert graph is not None and exchange is not None
    grants = "SELECT COUNT(*) FROM app_role_assignments WHERE tenant_id = ? AND resource_id = ?"
    recipients = (
        "SELECT COUNT(*) FROM recipients WHERE tenant_id = ? AND recipient_type_details IN (?, ?)"
    )
    scope_groups = [
        row[0]
        for row in state.store.all(
            "SELECT DISTINCT p.scope_id FROM application_access_policies p JOIN groups g "
            "ON g.tenant_id = p.tenant_id AND g.id = p.scope_id WHERE p.tenant_id = ?",
            (tenant_id,),
        )
    ]
    return {
        "servicePrincipals": count("SELECT COUNT(*) FROM service_principals WHERE tenant_id = ?"),
        "resources": 2,  # the appRoles of Microsoft Graph and Office 365 Exchange Online
        "appRoleAssignedTo": [count(grants, graph["id"]), count(grants, exchange["id"])],
        "roleAssignments": count(
            "SELECT COUNT(*) FROM directory_role_assignments WHERE tenant_id = ?"
        ),
        "applications": count("SELECT COUNT(*) FROM applications WHERE tenant_id = ?"),
        "users": count("SELECT COUNT(*) FROM users WHERE tenant_id = ?"),
        "mailboxes": count(recipients, "UserMailbox", "SharedMailbox"),
        "scopeRecipients": count(recipients, "MailUniversalSecurityGroup", "MailUser"),
        "accessPolicies": count(
            "SELECT COUNT(*) FROM application_access_policies WHERE tenant_id = ?"
        ),
        "groups": count("SELECT COUNT(*) FROM groups WHERE tenant_id = ?"),
        "transitiveMembers": [
            len(directory.transitive_members(tenant_id, group)) for group in scope_groups
        ],
    }


def sample_pairs(state: EmulatorState, tenant_id: str, n: int, seed: int) -> list[list[str]]:
    """``n`` random (app id, mailbox address) pairs for timed Test-ApplicationAccessPolicy."""
    apps = [
        row[0]
        for row in state.store.all(
            "SELECT app_id FROM service_principals WHERE tenant_id = ? "
            "AND display_name LIKE 'LOB App %' ORDER BY seq",
            (tenant_id,),
        )
    ]
    mailboxes = [
        row[0]
        for row in state.store.all(
            "SELECT primary_smtp FROM recipients WHERE tenant_id = ? "
            "AND recipient_type_details IN ('UserMailbox', 'SharedMailbox') ORDER BY seq",
            (tenant_id,),
        )
    ]
    rng = random.Random(seed)
    return [[rng.choice(apps), rng.choice(mailboxes)] for _ in range(n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--mailboxes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    fixture = synthetic_fixture()
    fixture["synthetic"] = {"mailboxes": args.mailboxes, "seed": args.seed}
    state = EmulatorState.create(args.data_dir)
    try:
        start = time.perf_counter()
        tenant_id = apply_fixture(state, fixture)
        loaded = time.perf_counter() - start
        found = sizes(state, tenant_id)
        pairs = sample_pairs(state, tenant_id, args.sample, args.seed)
    finally:
        state.close()
    print(json.dumps({"tenant": tenant_id, "load_seconds": loaded, "sizes": found, "pairs": pairs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
