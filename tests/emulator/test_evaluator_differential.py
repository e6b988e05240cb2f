"""sendscope's evaluator (``sendscope.policy``, pure) held against the emulator's Exchange.

Random users, nested mail-enabled security groups, apps and Restrict/Deny/``*`` policies are
built in the emulator through InvokeCommand, as an admin would. sendscope reads them back with
the cmdlets it uses in production (Get-ApplicationAccessPolicy, Get-Recipient,
Get-DistributionGroupMember) into a ``PolicyContext``; for every (app, mailbox) pair its verdict
must equal ``Test-ApplicationAccessPolicy``, and — once the propagation delays have passed —
what Graph's sendMail does. The two implementations share no code.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from sendscope.policy import PolicyContext, evaluate_access_policy
from tests.emulator.exchange_helpers import one, run, values
from tests.emulator.test_enforcement_properties import (
    APPS,
    DOMAIN,
    HOUR,
    USERS,
    Member,
    Tenant,
    scenarios,
    tenant,
)


def read_context(t: Tenant) -> PolicyContext:
    """What sendscope's test-policy and restrict read from Exchange."""
    policies = values(run(t.client, t.admin, "Get-ApplicationAccessPolicy"))
    recipients = values(run(t.client, t.admin, "Get-Recipient", ResultSize="Unlimited"))
    groups = [r for r in recipients if r["RecipientTypeDetails"] == "MailUniversalSecurityGroup"]
    members = {
        g["ExternalDirectoryObjectId"]: [
            m["ExternalDirectoryObjectId"]
            for m in values(
                run(
                    t.client,
                    t.admin,
                    "Get-DistributionGroupMember",
                    Identity=g["ExternalDirectoryObjectId"],
                )
            )
        ]
        for g in groups
    }
    return PolicyContext.from_cmdlets(policies, recipients, members)


def evaluated(t: Tenant) -> dict[tuple[int, int], str]:
    context = read_context(t)
    return {
        (a, u): evaluate_access_policy(context, t.app_ids[a], f"u{u}@{DOMAIN}").verdict.value
        for a in range(APPS)
        for u in range(USERS)
    }


@given(scenarios())
def test_evaluator_agrees_with_exchange_and_with_graph_after_the_delays(
    scenario: tuple[list[list[Member]], list[Any], list[Any]],
) -> None:
    groups, policies, mutations = scenario
    with tenant() as t:
        for index, members in enumerate(groups):
            t.create_group(index, members)
        for policy in policies:
            t.add_policy(*policy)
        for change in mutations:
            t.apply(change)
        mine = evaluated(t)
        assert mine == t.tested()
        t.state.clock.advance(2 * HOUR)
        assert t.enforced() == mine


def test_reasons_name_the_deciding_policy() -> None:
    with tenant() as t:
        t.create_group(0, [("u", 0)])
        t.create_group(1, [("g", 0)])
        t.add_policy(0, "RestrictAccess", ("g", 1))
        context = read_context(t)
        inside = evaluate_access_policy(context, t.app_ids[0], f"u0@{DOMAIN}")
        outside = evaluate_access_policy(context, t.app_ids[0], f"u1@{DOMAIN}")
        assert (inside.verdict.value, outside.verdict.value) == ("Granted", "Denied")
        assert inside.path_names == ("G1", "G0")  # the nesting path, scope first
        assert "G1" in inside.explanation
        assert (
            one(
                run(
                    t.client,
                    t.admin,
                    "Test-ApplicationAccessPolicy",
                    Identity=f"u1@{DOMAIN}",
                    AppId=t.app_ids[0],
                )
            )["AccessCheckResult"]
            == "Denied"
        )
