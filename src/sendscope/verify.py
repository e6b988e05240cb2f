"""``verify``: prove that an app's restriction is *effective*, not only configured.

The ladder, per address (docs/verify.md):

- **configured** — the app's Application Access Policies exist (and one is scoped to
  ``--group`` when given); checked as the admin;
- **tested** — ``Test-ApplicationAccessPolicy`` says Granted for every allowed and Denied
  for every denied address; checked as the admin, each verdict with the policy that decided
  it (sendscope's evaluator names it; Exchange does not);
- **effective** — a real send as each allowed address is accepted (202) and a real send as
  each denied address is refused with the access-policy error; made with the app's own
  credentials, which is the only evidence Graph's enforcement gives.

It polls until every rung holds, something is misconfigured, or the deadline passes.

API (what ``sendscope verify`` and ``sendscope demo`` call)::

    from sendscope.verify import plan_verification, run_verification
    plan = plan_verification(allowed=["noreply@x"], denied=["ceo@x"], timeout="3h",
                             interval="5m")            # UsageError (exit 2) on bad input
    with Mailer.connect(options) as app, connect_admin(admin_options) as admin:
        report = run_verification(plan, app, admin, clock=clock, observer=print_round)
    report.outcome    # Outcome.EFFECTIVE | NOT_EFFECTIVE | MISCONFIGURED | CANNOT_TELL
    report.exit_code  # 0 | 3 | 3 | 6

- ``app`` is anything with ``send(OutgoingMessage) -> SendReceipt`` (``mail.Mailer``); its
  client ID is the app verified unless ``plan.app_id`` says otherwise (they must agree when
  ``app`` is a ``Mailer``). ``AuthenticationFailed`` from the app or the admin propagates
  (exit 4); so does any error of the admin's that is not throttling or an outage.
- ``admin`` is anything with an ``exchange`` (``admin.AdminSession``), or None: then
  *configured* and *tested* are ``not_checked`` and only the effective rung runs.
- ``clock`` has ``now() -> float`` (seconds, monotonic) and ``sleep(seconds)``; the default
  is real time. verify never sleeps any other way, so a clock that advances the emulator's
  clock compresses the wait.
- ``observer`` is called with a ``RoundReport`` after every round (elapsed, next try, each
  address's state); the last round has ``next_try`` None.

Sends: one labelled mail per address not yet proven, per round (subject ``sendscope
verification <run id>``, ``saveToSentItems`` false, to ``plan.to``), one at a time. An
address whose effective rung held keeps it; it is not sent as again.
"""

from __future__ import annotations

from .errors import CheckFailed, OutcomeUnknown, UsageError
from .verification.model import (
    AddressCheck,
    AddressState,
    ConfiguredCheck,
    Outcome,
    PolicyRef,
    Role,
    RoundReport,
    RungState,
    SendEvidence,
    SendKind,
    TestEvidence,
    VerifyReport,
)
from .verification.plan import (
    DEFAULT_INTERVAL,
    DEFAULT_TIMEOUT,
    VerifyPlan,
    format_duration,
    parse_duration,
    plan_verification,
)
from .verification.probes import Sender
from .verification.run import AdminClients, Observer, VerifyClock, run_rounds

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_TIMEOUT",
    "AddressCheck",
    "AddressState",
    "AdminClients",
    "ConfiguredCheck",
    "Observer",
    "Outcome",
    "PolicyRef",
    "Role",
    "RoundReport",
    "RungState",
    "SendEvidence",
    "SendKind",
    "Sender",
    "TestEvidence",
    "VerifyClock",
    "VerifyPlan",
    "VerifyReport",
    "format_duration",
    "parse_duration",
    "plan_verification",
    "raise_for_outcome",
    "run_verification",
    "sending_app_id",
]


def run_verification(
    plan: VerifyPlan,
    app: Sender,
    admin: AdminClients | None,
    *,
    clock: VerifyClock | None = None,
    observer: Observer | None = None,
) -> VerifyReport:
    """Run the ladder until it holds, is misconfigured, or the deadline passes."""
    app_id = sending_app_id(plan, app)
    return run_rounds(plan, app, app_id, admin, clock=clock, observer=observer)


def raise_for_outcome(report: VerifyReport) -> None:
    """The outcome as the exit code architecture.md gives it: nothing for effective,
    CheckFailed (3) for not effective or misconfigured, OutcomeUnknown (6) for cannot tell."""
    if report.outcome is Outcome.CANNOT_TELL:
        raise OutcomeUnknown(report.summary)
    if report.outcome is not Outcome.EFFECTIVE:
        raise CheckFailed(report.summary)


def sending_app_id(plan: VerifyPlan, app: object) -> str:
    """The app verified: ``plan.app_id``, else the sending app's client ID; a UsageError
    when both are known and differ (the sends would prove nothing about ``--app``)."""
    own = _client_id(app)
    if plan.app_id and own and plan.app_id != own:
        raise UsageError(
            f"--app {plan.app_id} is not the app whose credentials send ({own}): verify "
            "proves an app's restriction by sending as it. Leave --app out, or connect as "
            "that app (--client-id)"
        )
    app_id = plan.app_id or own
    if not app_id:
        raise UsageError("no app to verify: pass --app (the app's Application (client) ID)")
    return app_id


def _client_id(app: object) -> str | None:
    from .mail import Mailer

    if isinstance(app, Mailer):
        return app.session.connection.identity.client_id.lower()
    return None
