"""AuditResult values for the report and baseline tests, built by hand (no tenant needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from sendscope.policy.findings import (
    Acceptance,
    AppKind,
    AppReach,
    AuditResult,
    Finding,
    PermissionReach,
    Severity,
)

__all__ = [
    "ADMIN",
    "HOSTILE",
    "MAILER",
    "RBAC_NOTE",
    "accepted",
    "hostile_result",
    "sample_result",
]

MAILER = "7fe7c7ed-6b1c-4a5e-9f0e-0c1d2e3f4a5b"
ADMIN = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
HOSTILE = "c0ffee00-1111-4222-8333-444455556666"
RBAC_NOTE = "Exchange RBAC for Applications grants are not yet evaluated."
WHEN = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)


def _send(reach: int, total: int, mailboxes: tuple[str, ...] = ()) -> PermissionReach:
    return PermissionReach(
        "Mail.Send", "Microsoft Graph", reach, total, "no access policy names the app", mailboxes
    )


def sample_result() -> AuditResult:
    """A tenant of 52 mailboxes: an unrestricted mailer, an admin app, a restricted reader."""
    apps = (
        AppReach(MAILER, "Timesheet Mailer", "sp-1", AppKind.APPLICATION, (_send(52, 52),)),
        AppReach(
            "11111111-2222-4333-8444-555566667777",
            "Calendar Sync",
            "sp-2",
            AppKind.MULTI_TENANT,
            (
                PermissionReach(
                    "Calendars.Read",
                    "Microsoft Graph",
                    2,
                    52,
                    'RestrictAccess on "Sync Scope"',
                    ("a@contoso.onmicrosoft.com", "b@contoso.onmicrosoft.com"),
                ),
            ),
            ("RestrictAccess on Sync Scope",),
        ),
    )
    findings = (
        Finding(
            "unrestricted-send",
            Severity.HIGH,
            MAILER,
            "Timesheet Mailer",
            "Can send as every mailbox",
            "Mail.Send with no access policy reaches all 52 mailboxes.",
            "sendscope restrict --app " + MAILER + " --group senders@contoso.onmicrosoft.com",
            permissions=("Mail.Send",),
        ),
        Finding(
            "can-lift-restriction",
            Severity.HIGH,
            ADMIN,
            "sendscope admin",
            "Can lift its own restriction",
            "Application.ReadWrite.All lets the app grant itself anything.",
            "Use a certificate and keep this app's credentials in a vault.",
            permissions=("Application.ReadWrite.All",),
        ),
        Finding(
            "client-secret",
            Severity.WARNING,
            ADMIN,
            "sendscope admin",
            "Uses a client secret",
            "A certificate would do.",
            "Replace the secret with a certificate.",
            subject="key-1",
        ),
        Finding(
            "restricted",
            Severity.INFO,
            "11111111-2222-4333-8444-555566667777",
            "Calendar Sync",
            "Restricted to 2 mailboxes",
            "RestrictAccess on Sync Scope.",
            "Nothing to do.",
        ),
    )
    return AuditResult(
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "contoso.onmicrosoft.com",
        WHEN,
        52,
        apps,
        findings,
        notes=(RBAC_NOTE,),
        stats={"requests": 12, "pages": 9},
    )


def accepted(
    result: AuditResult, rule: str, reason: str, expires: date | None = None
) -> AuditResult:
    findings = tuple(
        f.accept(Acceptance(reason, expires)) if f.rule == rule else f for f in result.findings
    )
    return replace(result, findings=findings)


def hostile_result() -> AuditResult:
    """An app whose name and texts try to be markup in every format."""
    name = '<script>alert("x")</script> =HYPERLINK("http://evil") [bold]|`*_'
    app = AppReach(HOSTILE, name, "sp-9", AppKind.MULTI_TENANT, (_send(3, 3),), (name,))
    finding = Finding(
        "unrestricted-send",
        Severity.HIGH,
        HOSTILE,
        name,
        name,
        "<img src=x onerror=alert(1)> & more",
        "-cmd|' /C calc'!A0",
        subject="<b>",
    )
    return replace(sample_result(), apps=(app,), findings=(finding,), mailbox_count=3)
