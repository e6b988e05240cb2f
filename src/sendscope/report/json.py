"""The ``--json`` report: one document holding everything in the AuditResult.

Schema version 1 is documented in docs/audit.md ("JSON"). Keys are only ever added within
a schema version; a rename or removal bumps ``schema_version``.
"""

from __future__ import annotations

from typing import Any

from ..policy.findings import Acceptance, AppReach, AuditResult, Finding, PermissionReach
from ._common import (
    counts,
    json_text,
    ordered_apps,
    ordered_findings,
)

__all__ = ["SCHEMA_VERSION", "document", "render"]

SCHEMA_VERSION = 1


def render(result: AuditResult) -> str:
    """The document as indented JSON text, ending in a newline."""
    return json_text(document(result))


def document(result: AuditResult) -> dict[str, Any]:
    """The ``--json`` document, schema version 1."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tenant": {"id": result.tenant_id, "domain": result.tenant_domain},
        "generated_at": result.generated_at.isoformat(),
        "mailbox_count": result.mailbox_count,
        "summary": counts(result),
        "notes": list(result.notes),
        "findings": [finding_document(f) for f in ordered_findings(result.findings)],
        "apps": [_app(a) for a in ordered_apps(result)],
        "stats": dict(sorted(result.stats.items())),
    }


def finding_document(finding: Finding) -> dict[str, Any]:
    """One finding, with its baseline key and its acceptance (null when not accepted)."""
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "app_id": finding.app_id,
        "app_name": finding.app_name,
        "subject": finding.subject,
        "title": finding.title,
        "detail": finding.detail,
        "fix": finding.fix,
        "permissions": list(finding.permissions),
        "accepted": _acceptance(finding.accepted),
    }


def _acceptance(acceptance: Acceptance | None) -> dict[str, Any] | None:
    if acceptance is None:
        return None
    expires = acceptance.expires.isoformat() if acceptance.expires else None
    return {"reason": acceptance.reason, "expires": expires}


def _app(app: AppReach) -> dict[str, Any]:
    return {
        "app_id": app.app_id,
        "name": app.name,
        "service_principal_id": app.service_principal_id,
        "kind": app.kind.value,
        "reach": app.reach,
        "policies": list(app.policies),
        "permissions": [_permission(p) for p in app.permissions],
    }


def _permission(permission: PermissionReach) -> dict[str, Any]:
    return {
        "permission": permission.permission,
        "resource": permission.resource,
        "reach": permission.reach,
        "total": permission.total,
        "unrestricted": permission.unrestricted,
        "reason": permission.reason,
        "mailboxes": list(permission.mailboxes),
    }
