"""``restrict``'s use case with fake clients: reading, confirming, applying idempotently."""

from __future__ import annotations

import pytest

from sendscope.errors import (
    AmbiguousOutcome,
    ApiFailure,
    PermissionMissing,
    RequestRejected,
    UsageError,
)
from sendscope.policy import Verdict
from sendscope.restrict import apply_restriction, confirm, prepare_restriction
from sendscope.restriction import RestrictRequest, StepStatus
from tests.unit.test_restrict_fakes import (
    CALENDAR,
    MAILER,
    NO_SP,
    TENANT,
    FakeGraph,
    FakeSession,
    addr,
    new_group_request,
    oid,
)

WRITES = [
    ("New-DistributionGroup", "senders", addr("senders")),
    ("Add-DistributionGroupMember", addr("senders"), addr("noreply")),
    ("New-ApplicationAccessPolicy", MAILER, addr("senders"), "RestrictAccess"),
]


# -- reading the app --------------------------------------------------------------------------


def test_the_app_permissions_come_from_its_app_role_assignments() -> None:
    session = FakeSession()
    plan = prepare_restriction(session, new_group_request(app_id=CALENDAR))
    assert plan.app.display_name == "Shift Sync"
    assert plan.app.roles == ("Mail.Send", "Calendars.ReadWrite", "User.Read.All")
    assert plan.app.permissions.constrained == ("Mail.Send", "Calendars.ReadWrite")
    assert session.exchange.writes == []


def test_an_app_without_a_service_principal_is_refused_before_any_write() -> None:
    session = FakeSession()
    with pytest.raises(UsageError) as caught:
        prepare_restriction(session, new_group_request(app_id=NO_SP))
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(
        f"app {NO_SP} has no service principal in tenant {TENANT}: it is not registered there"
    )
    assert session.exchange.reads == [] and session.exchange.writes == []


def test_other_graph_refusals_are_not_turned_into_usage_errors() -> None:
    class Forbidden(FakeGraph):
        def get_json(self, path: str, params: dict[str, str] | None = None) -> object:
            failure = ApiFailure(403, "Authorization_RequestDenied", "Insufficient privileges")
            raise PermissionMissing("Microsoft 365 refused GET …", failure=failure)

    with pytest.raises(PermissionMissing):
        prepare_restriction(FakeSession(graph=Forbidden()), new_group_request())


def test_a_bad_app_id_asks_nothing_of_graph() -> None:
    session = FakeSession()
    with pytest.raises(UsageError, match="is not an application"):
        prepare_restriction(session, new_group_request(app_id="Timesheet Mailer"))
    assert session.graph.paths == []


def test_only_relevant_groups_are_listed() -> None:
    session = FakeSession()
    prepare_restriction(session, RestrictRequest(app_id=MAILER, group=addr("finance")))
    assert session.exchange.reads.count("Get-DistributionGroupMember") == 1


# -- applying ---------------------------------------------------------------------------------


def test_apply_runs_the_steps_in_order_then_tests() -> None:
    session = FakeSession()
    plan = prepare_restriction(session, new_group_request())
    outcome = apply_restriction(session, plan)
    assert session.exchange.writes == WRITES
    assert [s.status for s in outcome.steps] == [StepStatus.DONE] * 3
    assert outcome.changed
    assert [(t.address, t.inside, t.result, t.agrees) for t in outcome.tests] == [
        (addr("noreply"), True, "Granted", True),
        (addr("alex"), False, "Denied", True),
    ]
    assert session.exchange.members[oid("senders")] == [oid("noreply")]


def test_a_second_run_changes_nothing() -> None:
    session = FakeSession()
    apply_restriction(session, prepare_restriction(session, new_group_request()))
    session.exchange.writes.clear()
    plan = prepare_restriction(session, new_group_request())
    assert plan.nothing_to_do
    assert [s.status for s in plan.steps] == [StepStatus.SKIPPED] * 3
    outcome = apply_restriction(session, plan)
    assert session.exchange.writes == [] and not outcome.changed
    assert [t.result for t in outcome.tests] == ["Granted", "Denied"]


def test_each_step_re_reads_before_writing() -> None:
    session = FakeSession()
    plan = prepare_restriction(session, new_group_request())
    # Someone else does it all between the plan and the apply.
    other = FakeSession(exchange=session.exchange)
    apply_restriction(other, prepare_restriction(other, new_group_request()))
    session.exchange.writes.clear()
    outcome = apply_restriction(session, plan)
    assert session.exchange.writes == []
    assert [(s.status, s.reason) for s in outcome.steps] == [
        (StepStatus.SKIPPED, "the group exists already"),
        (StepStatus.SKIPPED, "already a member"),
        (StepStatus.SKIPPED, 'RestrictAccess on "senders" exists already'),
    ]


def test_a_group_created_meanwhile_as_distribution_group_stops_the_run() -> None:
    session = FakeSession()
    plan = prepare_restriction(session, new_group_request())
    session.exchange.new_distribution_group(
        name="senders",
        alias=None,
        display_name=None,
        primary_smtp_address=addr("senders"),
        security=False,
    )
    with pytest.raises(UsageError) as caught:
        apply_restriction(session, plan)
    assert caught.value.message.startswith(
        f'while trying to create the mail-enabled security group "senders" <{addr("senders")}>: '
        f"{addr('senders')} was created meanwhile, but as a MailUniversalDistributionGroup"
    )
    assert "Nothing was changed before it. Run the same sendscope restrict" in caught.value.message


def test_an_unknown_outcome_halfway_tells_to_re_run_and_the_re_run_completes() -> None:
    session = FakeSession()
    lost = AmbiguousOutcome("POST …/InvokeCommand was sent but no answer came (ReadTimeout).")
    session.exchange.fail["Add-DistributionGroupMember"] = lost
    session.exchange.fail_after_write = True
    plan = prepare_restriction(session, new_group_request())
    with pytest.raises(AmbiguousOutcome) as caught:
        apply_restriction(session, plan)
    assert caught.value.exit_code == 6
    assert caught.value.message == (
        f"while trying to add {addr('noreply')} to {addr('senders')}: POST …/InvokeCommand was "
        "sent but no answer came (ReadTimeout). Done before it: create the mail-enabled "
        f'security group "senders" <{addr("senders")}>. Run the same sendscope restrict command '
        "again: it re-reads the tenant and completes only what is missing."
    )
    assert "New-ApplicationAccessPolicy" not in [w[0] for w in session.exchange.writes]
    again = prepare_restriction(session, new_group_request())
    assert [s.status for s in again.steps] == [
        StepStatus.SKIPPED,
        StepStatus.SKIPPED,
        StepStatus.PLANNED,
    ]
    outcome = apply_restriction(session, again)
    assert [w[0] for w in session.exchange.writes] == [w[0] for w in WRITES]
    assert outcome.tests[0].result == "Granted"


def test_a_refusal_halfway_keeps_its_class_and_failure() -> None:
    session = FakeSession()
    failure = ApiFailure(
        401, "Unauthorized", "User is not allowed to call New-ApplicationAccessPolicy"
    )
    session.exchange.fail["New-ApplicationAccessPolicy"] = RequestRejected(
        "refused", failure=failure
    )
    with pytest.raises(RequestRejected) as caught:
        apply_restriction(session, prepare_restriction(session, new_group_request()))
    assert caught.value.failure is failure
    assert caught.value.message.startswith("while trying to create the access policy")
    assert ": refused. Done before it: create the mail-enabled" in caught.value.message
    assert "Done before it: create the mail-enabled security group" in caught.value.message


def test_disagreements_are_reported() -> None:
    class Stubborn(FakeSession):
        pass

    session = Stubborn()
    plan = prepare_restriction(session, new_group_request())
    session.exchange.test_application_access_policy = (  # type: ignore[method-assign]
        lambda *, identity, app_id: {"AccessCheckResult": "Granted"}
    )
    outcome = apply_restriction(session, plan)
    assert [t.address for t in outcome.disagreements] == [addr("alex")]
    assert outcome.disagreements[0].expected is Verdict.DENIED


# -- confirming -------------------------------------------------------------------------------


def _calendar_plan() -> tuple[FakeSession, object]:
    session = FakeSession()
    return session, prepare_restriction(session, new_group_request(app_id=CALENDAR))


def test_a_warning_without_a_terminal_and_without_yes_exits_2() -> None:
    session, plan = _calendar_plan()
    with pytest.raises(UsageError) as caught:
        confirm(plan, yes=False, ask=None)  # type: ignore[arg-type]
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        "the warning above needs --yes: read it, then run again with --yes to go ahead. "
        "Nothing was written."
    )
    assert session.exchange.writes == []


def test_yes_lets_the_plan_through() -> None:
    _, plan = _calendar_plan()
    confirm(plan, yes=True, ask=None)  # type: ignore[arg-type]


def test_a_terminal_is_asked_and_no_stops() -> None:
    _, plan = _calendar_plan()
    questions: list[str] = []

    def no(question: str) -> bool:
        questions.append(question)
        return False

    with pytest.raises(UsageError, match=r"^not confirmed. Nothing was written.$"):
        confirm(plan, yes=False, ask=no)  # type: ignore[arg-type]
    assert questions == ["Apply this plan?"]
    confirm(plan, yes=False, ask=lambda q: True)  # type: ignore[arg-type]


def test_a_plan_without_warnings_asks_nothing() -> None:
    session = FakeSession()
    plan = prepare_restriction(session, new_group_request())

    def never(question: str) -> bool:
        raise AssertionError("asked")

    confirm(plan, yes=False, ask=never)
    confirm(plan, yes=False, ask=None)
