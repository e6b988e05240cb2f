"""What ``sendscope verify`` shows: the live display, the final report, the JSON document.

``VerifyDisplay`` is the observer ``run_verification`` calls after each round: on a
terminal a small live table (elapsed time, round, next try, each address's state) that
refreshes once a second — sparse by default; elsewhere one plain line per round. The
final report names what held and what did not, with one sentence per address that is not
effective. ``sendscope demo`` reuses all three.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from ..verify import (
        AddressCheck,
        AdminClients,
        ConfiguredCheck,
        PolicyRef,
        RoundReport,
        Sender,
        SendEvidence,
        VerifyClock,
        VerifyPlan,
        VerifyReport,
    )

__all__ = ["SCHEMA_VERSION", "VerifyDisplay", "document", "render_report", "run_shown"]

SCHEMA_VERSION = 1


def run_shown(
    plan: VerifyPlan,
    app: Sender,
    admin: AdminClients | None,
    app_id: str,
    console: Console | None,
    *,
    clock: VerifyClock | None = None,
) -> VerifyReport:
    """``run_verification`` shown on ``console`` (live on a terminal, a line per round
    otherwise); without a console (``--json``), shown nowhere."""
    from ..verify import run_verification

    if console is None:
        return run_verification(plan, app, admin, clock=clock)
    with VerifyDisplay(console, plan, app_id, live=console.is_terminal) as display:
        return run_verification(plan, app, admin, clock=clock, observer=display)


_COLOURS = {
    "effective": "green",
    "not_effective_yet": "yellow",
    "misconfigured": "bold red",
    "cannot_tell": "magenta",
}


def _duration(seconds: float) -> str:
    from ..verify import format_duration

    return format_duration(seconds)


class VerifyDisplay:
    """The observer of a verification: a live table on a terminal, else plain lines.

    ``live`` False prints one line per round (logs, pipes, CI). The elapsed time shown
    between rounds is real time since the display opened.
    """

    def __init__(self, console: Console, plan: VerifyPlan, app_id: str, *, live: bool) -> None:
        self.console = console
        self.plan = plan
        self.app_id = app_id
        self.live = live
        self.last: RoundReport | None = None
        self._opened = time.monotonic()
        self._received = self._opened
        self._live: Live | None = None

    def __enter__(self) -> VerifyDisplay:
        self.console.print(self._heading())
        if self.live:
            from rich.live import Live

            self._live = Live(self, console=self.console, refresh_per_second=1, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def __call__(self, report: RoundReport) -> None:
        self.last, self._received = report, time.monotonic()
        if self._live is not None:
            self._live.refresh()
        else:
            self.console.print(round_line(report))

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        if self.last is None:
            return Text(f"elapsed {_duration(time.monotonic() - self._opened)} · first round…")
        since = time.monotonic() - self._received
        status = _status(self.last, since)
        return Group(
            Text(status, style="dim"), _state_table(self.last.addresses, self.console.width)
        )

    def _heading(self) -> str:
        p = self.plan
        every = (
            "one check"
            if p.timeout <= 0
            else f"every {_duration(p.interval)} for up to {_duration(p.timeout)}"
        )
        return (
            f"Verifying app {self.app_id} (run {p.run_id}): {len(p.allowed)} allowed, "
            f"{len(p.denied)} denied, {every}; mails to {p.to}."
        )


def _status(report: RoundReport, since: float) -> str:
    elapsed = _duration(report.elapsed + since)
    if report.next_try is None:
        return f"elapsed {elapsed} · round {report.round} · done"
    wait = max(0.0, report.next_try - report.elapsed - since)
    return f"elapsed {elapsed} · round {report.round} · next try in {_duration(wait)}"


def round_line(report: RoundReport) -> str:
    """One plain line per round, for logs: ``round 2 (5m0s): a effective; b …``."""
    states = "; ".join(f"{c.address} {c.state.words}" for c in report.addresses)
    then = "" if report.next_try is None else f" — next try at {_duration(report.next_try)}"
    return f"round {report.round} ({_duration(report.elapsed)}): {states}{then}"


def _state_table(checks: tuple[AddressCheck, ...], width: int = 80) -> RenderableType:
    """A table when it fits ``width``; else one two-line entry per address (long addresses
    in 80 columns), so no cell is ever folded into unreadable pieces."""
    from rich.table import Table
    from rich.text import Text

    rows = [_row_cells(c) for c in checks]
    widths = [
        max([len(header), *(len(Text.from_markup(r[i]).plain) for r in rows)])
        for i, header in enumerate(_HEADERS)
    ]
    if sum(widths) + 2 * (len(widths) - 1) > width:
        return Text.from_markup("\n".join(_entry(cells) for cells in rows))
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in _HEADERS:
        table.add_column(name, no_wrap=True)
    for cells in rows:
        table.add_row(*cells)
    return table


_HEADERS = ("Address", "Should", "Tested", "Last send", "State")


def _row_cells(c: AddressCheck) -> tuple[str, str, str, str, str]:
    from rich.markup import escape

    colour = _COLOURS[c.state.value]
    return (
        escape(c.address),
        "send" if c.role.value == "allowed" else "refuse",
        escape(_tested(c)),
        escape(_short(c.send)),
        f"[{colour}]{c.state.words}[/]",
    )


def _entry(cells: tuple[str, str, str, str, str]) -> str:
    address, should, tested, last, state = cells
    return f"{address} — should {should}\n    tested {tested} · last send {last} · {state}"


def _tested(c: AddressCheck) -> str:
    """Exchange's verdict, or why there is none."""
    if c.test is not None and c.test.verdict:
        return c.test.verdict
    if c.test is not None and c.test.unknown:
        return "no answer"
    if c.test is not None:
        return "not found"
    return "not checked"


def _short(send: SendEvidence | None) -> str:
    """The last send in a table cell: ``accepted (202)``, ``refused: policy (403)`` …"""
    if send is None:
        return "not sent yet"
    status = str(send.status) if send.status else send.error or "?"
    words = {
        "accepted": "accepted",
        "access_policy": "refused: policy",
        "other_refusal": f"refused: {send.code or send.error}",
        "unknown": "no clear answer",
    }[send.kind.value]
    return f"{words} ({status})"


def render_report(report: VerifyReport, console: Console) -> None:
    """The final report: configured, the table, a sentence per address not effective."""
    from rich.markup import escape

    console.print(f"[bold]Configured:[/] {escape(_configured_words(report.configured))}")
    for policy in report.configured.policies:
        console.print(f"  {escape(policy.label)} → {escape(policy.scope)}")
    console.print(_state_table(report.addresses, console.width))
    for check in report.addresses:
        if check.state.value != "effective":
            console.print(f"  {escape(check.address)}: {escape(check.sentence)}")
    if report.outcome.value == "effective":
        console.print(f"[green]{escape(report.summary)}[/]")


def _configured_words(configured: ConfiguredCheck) -> str:
    state = configured.state.value.replace("_", " ")
    return f"{state} — {configured.detail}" if configured.detail else state


# -- JSON ---------------------------------------------------------------------------------


def document(report: VerifyReport, tenant: str) -> dict[str, Any]:
    """The ``--json`` document, schema version 1 (docs/verify.md)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": report.run_id,
        "tenant": tenant,
        "app_id": report.app_id,
        "outcome": report.outcome.value,
        "exit_code": report.exit_code,
        "summary": report.summary,
        "rounds": report.rounds,
        "elapsed_seconds": round(report.elapsed, 3),
        "deadline_passed": report.deadline_passed,
        "admin_checked": report.admin_checked,
        "to": report.to,
        "configured": {
            "state": report.configured.state.value,
            "detail": report.configured.detail,
            "policies": [_policy(p) for p in report.configured.policies],
        },
        "addresses": [_address(c) for c in report.addresses],
    }


def _policy(policy: PolicyRef | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    return {
        "identity": policy.identity,
        "label": policy.label,
        "access_right": policy.access_right,
        "app_ids": list(policy.app_ids),
        "scope": policy.scope,
        "description": policy.description or None,
    }


def _address(check: AddressCheck) -> dict[str, Any]:
    test, send = check.test, check.send
    return {
        "address": check.address,
        "role": check.role.value,
        "state": check.state.value,
        "sentence": check.sentence,
        "tested": {
            "state": check.tested.value,
            "verdict": test.verdict if test else None,
            "evaluator": test.evaluator if test else None,
            "reason": (test.unknown or test.reason) if test else None,
            "deciding_policy": _policy(test.deciding) if test else None,
            "outside_policies": [_policy(p) for p in test.outside] if test else [],
        },
        "effective": {
            "state": check.effective.value,
            "sends": check.sends,
            "last_send": None if send is None else _send(send),
        },
    }


def _send(send: SendEvidence) -> dict[str, Any]:
    return {
        "result": send.kind.value,
        "status": send.status,
        "code": send.code or None,
        "error": send.error or None,
        "message": send.message or None,
        "request_id": send.request_id or None,
        "round": send.round,
        "at_seconds": round(send.at, 3),
    }
