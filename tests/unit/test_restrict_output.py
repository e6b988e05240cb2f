"""``restrict --powershell`` quoting and script, the JSON document, and the text in 80 columns."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from sendscope.policy import AccessRight
from sendscope.restrict import apply_restriction, prepare_restriction
from sendscope.restriction import RestrictRequest, powershell_script, ps_quote
from sendscope.restriction.report import document, effect_sentence, show_plan, show_result
from tests.unit.test_restrict_fakes import CALENDAR, MAILER, FakeSession, addr, new_group_request


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", "'plain'"),
        ("O'Brien", "'O''Brien'"),
        ("$env:USERPROFILE `n $(Get-Date)", "'$env:USERPROFILE `n $(Get-Date)'"),
        ("it\u2019s", "'it\u2019\u2019s'"),
        ("\u2018a\u201a\u201b", "'\u2018\u2018a\u201a\u201a\u201b\u201b'"),
        ('say "hi"', "'say \"hi\"'"),
        ("", "''"),
    ],
)
def test_ps_quote(value: str, quoted: str) -> None:
    assert ps_quote(value) == quoted


def test_the_script_for_a_new_group() -> None:
    session = FakeSession()
    request = new_group_request(group_name="Mailer's senders", description="Only noreply; $x")
    script = powershell_script(prepare_restriction(session, request))
    assert script == (
        "# The same change with the ExchangeOnlineManagement module\n"
        "# (Install-Module ExchangeOnlineManagement), as an Exchange administrator.\n"
        "Connect-ExchangeOnline\n"
        "\n"
        "New-DistributionGroup -Type Security -Name 'Mailer''s senders' -Alias 'senders' "
        f"-PrimarySmtpAddress '{addr('senders')}'\n"
        f"Add-DistributionGroupMember -Identity '{addr('senders')}' -Member '{addr('noreply')}' "
        "-BypassSecurityGroupManagerCheck\n"
        f"New-ApplicationAccessPolicy -AppId '{MAILER}' -PolicyScopeGroupId '{addr('senders')}' "
        "-AccessRight RestrictAccess -Description 'Only noreply; $x'\n"
        "\n"
        "# Check it (AccessCheckResult): sendscope expects the verdict after each #.\n"
        f"Test-ApplicationAccessPolicy -Identity '{addr('noreply')}' -AppId '{MAILER}'  # Granted\n"
        f"Test-ApplicationAccessPolicy -Identity '{addr('alex')}' -AppId '{MAILER}'  # Denied\n"
    )
    assert session.exchange.writes == []


def test_steps_in_place_are_comments_and_deny_is_rendered() -> None:
    session = FakeSession()
    request = RestrictRequest(
        app_id=MAILER,
        group=addr("finance"),
        members=(addr("cfo"),),
        access_right=AccessRight.DENY_ACCESS,
    )
    lines = powershell_script(prepare_restriction(session, request)).splitlines()
    assert lines[4] == (
        f"# already in place (already a member): Add-DistributionGroupMember -Identity "
        f"'{addr('finance')}' -Member '{addr('cfo')}' -BypassSecurityGroupManagerCheck"
    )
    assert lines[5].endswith("-AccessRight DenyAccess")
    assert (
        lines[-1]
        == f"Test-ApplicationAccessPolicy -Identity '{addr('alex')}' -AppId '{MAILER}'  # Granted"
    )
    assert lines[-2].endswith("# Denied")


def test_the_json_document_after_applying() -> None:
    session = FakeSession()
    plan = prepare_restriction(session, new_group_request(app_id=CALENDAR))
    outcome = apply_restriction(session, plan)
    doc = document(plan, mode="apply", steps=outcome.steps, tests=outcome.tests)
    assert doc["schema_version"] == 1 and doc["mode"] == "apply"
    assert doc["app"] == {
        "app_id": CALENDAR,
        "display_name": "Shift Sync",
        "service_principal_id": f"sp-{CALENDAR}",
        "permissions": ["Mail.Send", "Calendars.ReadWrite", "User.Read.All"],
        "restricted_by_policy": ["Mail.Send", "Calendars.ReadWrite"],
        "not_restricted_by_policy": [],
    }
    assert doc["group"] == {
        "address": addr("senders"),
        "name": "senders",
        "existed": False,
        "object_id": None,
        "recipient_type": "MailUniversalSecurityGroup",
    }
    assert [s["status"] for s in doc["steps"]] == ["done", "done", "done"]
    assert doc["steps"][2]["action"] == "New-ApplicationAccessPolicy"
    assert doc["changed"] is True and doc["nothing_to_change"] is False
    assert doc["warnings"][0]["needs_yes"] is True
    assert doc["effect"]["granted_before"] == 11 and doc["effect"]["granted_after"] == 1
    assert doc["effect"]["summary"] == "Shift Sync goes from 11 mailboxes to 1."
    assert addr("ceo") in doc["effect"]["newly_denied"]
    assert doc["tests"][1] == {
        "address": addr("alex"),
        "inside_scope": False,
        "expected": "Denied",
        "result": "Denied",
        "agrees": True,
    }
    assert doc["powershell"] is None


def test_the_dry_run_document_has_planned_steps_and_no_tests() -> None:
    plan = prepare_restriction(FakeSession(), new_group_request())
    doc = document(plan, mode="dry-run")
    assert [s["status"] for s in doc["steps"]] == ["planned"] * 3
    assert doc["tests"] == [] and doc["changed"] is False


def test_effect_sentences() -> None:
    session = FakeSession()
    plan = prepare_restriction(session, new_group_request())
    assert effect_sentence(plan) == "Timesheet Mailer goes from 11 mailboxes to 1."
    apply_restriction(session, plan)
    again = prepare_restriction(session, new_group_request())
    assert effect_sentence(again) == "Timesheet Mailer reaches 1 mailbox of 11; no change."


def _render(plan_width: int = 80) -> str:
    session = FakeSession()
    plan = prepare_restriction(session, new_group_request(app_id=CALENDAR, group_name="[bold]x"))
    outcome = apply_restriction(session, plan)
    out = io.StringIO()
    console = Console(file=out, width=plan_width, color_system=None, highlight=False)
    show_plan(console, plan)
    show_result(console, plan, outcome.steps, outcome.tests)
    return out.getvalue()


def test_the_text_fits_80_columns_and_says_everything() -> None:
    text = _render()
    assert max(len(line) for line in text.splitlines()) <= 80
    flat = " ".join(text.split())
    for expected in (
        f"App: Shift Sync ({CALENDAR})",
        "Mailbox permissions: Mail.Send, Calendars.ReadWrite",
        "a NEW mail-enabled security group",
        "Access right: RestrictAccess",
        'create the mail-enabled security group "[bold]x"',  # markup shown, not applied
        "Calendar sync for everyone outside the group would stop",
        "recommends RBAC for Applications",
        "Effect: Shift Sync goes from 11 mailboxes to 1.",
        f"{addr('noreply')}: Granted (inside the scope)",
        f"{addr('alex')}: Denied (outside the scope)",
        "up to an hour",
    ):
        assert expected in flat, expected


def test_a_run_that_changes_nothing_says_so() -> None:
    session = FakeSession()
    apply_restriction(session, prepare_restriction(session, new_group_request()))
    plan = prepare_restriction(session, new_group_request())
    outcome = apply_restriction(session, plan)
    out = io.StringIO()
    show_result(Console(file=out, width=80, color_system=None), plan, outcome.steps, outcome.tests)
    assert " ".join(out.getvalue().split()).startswith(
        "Result: nothing to change: the RestrictAccess policy for Timesheet Mailer on "
        f"{addr('senders')} and the requested members are already in place."
    )
