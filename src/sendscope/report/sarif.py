"""The ``--sarif`` report: SARIF 2.1.0 for code-scanning dashboards (GitHub, Azure DevOps).

The mapping (docs/audit.md, "SARIF"):

- one ``reportingDescriptor`` per rule id in ``tool.driver.rules``;
- one ``result`` per finding: ``ruleId``, ``level`` (high → ``error``, medium → ``warning``,
  warning → ``note``, info → ``none`` with ``kind`` ``informational``: a restricted app is
  not a problem), ``message``, ``partialFingerprints`` from the baseline key (so a dashboard
  tracks one finding across runs exactly as ``--baseline`` does), and the app as a
  ``logicalLocation``;
- GitHub code scanning shows only results with a physical location, and an app is not a
  file: each result also points at the stable pseudo-path ``m365/<tenant>/<app id>``;
- an accepted finding carries an external ``suppression`` (status ``accepted``) with the
  baseline's reason as its justification;
- the report's notes become ``toolExecutionNotifications`` of the run's invocation.

Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ..policy.findings import Acceptance, AuditResult, Finding, Severity
from ._common import (
    json_text,
    ordered_findings,
)

__all__ = [
    "FINGERPRINT",
    "LEVELS",
    "RULE_DESCRIPTIONS",
    "SECURITY_SEVERITY",
    "document",
    "render",
]

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "sendscopeFindingKey/v1"

LEVELS: Mapping[Severity, str] = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.WARNING: "note",
    Severity.INFO: "none",
}
# GitHub ranks security alerts by this number (9+ critical, 7+ high, 4+ medium, else low).
SECURITY_SEVERITY: Mapping[Severity, str] = {
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.0",
    Severity.WARNING: "3.0",
    Severity.INFO: "0.0",
}


# One line per rule id of the audit (policy/audit_rules.py AUDIT_RULES), for dashboards
# rule lists; docs/audit-findings.md has the long story. An unknown id gets its own words.
RULE_DESCRIPTIONS: Mapping[str, str] = {
    "unrestricted-send": "An app can send mail as every mailbox",
    "unrestricted-write": "An app can change every mailbox's contents",
    "can-lift-restriction": "An app can lift its own access restriction",
    "unrestricted-read": "An app can read every mailbox",
    "unconstrained-permission": "A mailbox permission access policies are not documented to "
    "constrain",
    "deny-only-policy": "Only DenyAccess policies name the app: it reaches everything else",
    "empty-scope-group": "An access policy's scope group has no members",
    "scope-without-mailbox": "An access policy's scope is a recipient without a mailbox",
    "missing-scope": "An access policy's scope no longer exists",
    "policy-for-missing-app": "An access policy names an app that no longer exists",
    "policy-without-grant": "An access policy names an app without mailbox permissions",
    "credential-expired": "An app credential has expired",
    "credential-expiring": "An app credential expires soon",
    "client-secret": "An app uses a client secret where a certificate would do",
    "mixed-mailbox-permissions": "An app holds mail and other mailbox permissions: one policy "
    "restricts both",
    "restricted-app": "An access policy restricts the app",
    "microsoft-app": "A Microsoft first-party app holds mailbox permissions",
}


def render(result: AuditResult) -> str:
    """The SARIF log as indented JSON text, ending in a newline."""
    return json_text(document(result))


def document(result: AuditResult) -> dict[str, Any]:
    """One SARIF 2.1.0 log with one run."""
    findings = ordered_findings(result.findings)
    rules = _rule_ids(findings)
    index = {rule: i for i, rule in enumerate(rules)}
    run = {
        "tool": {"driver": _driver(findings, rules)},
        "automationDetails": {"id": f"sendscope-audit/{result.tenant_id}/"},
        "invocations": [_invocation(result)],
        "results": [_result(f, index[f.rule], result) for f in findings],
        "properties": {
            "tenantId": result.tenant_id,
            "tenantDomain": result.tenant_domain,
            "mailboxCount": result.mailbox_count,
        },
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule_ids(findings: list[Finding]) -> list[str]:
    return sorted({f.rule for f in findings})


def _driver(findings: list[Finding], rules: list[str]) -> dict[str, Any]:
    return {
        "name": "sendscope",
        "semanticVersion": _version(),
        "version": _version(),
        "rules": [_rule(r, [f for f in findings if f.rule == r]) for r in rules],
    }


def _rule(rule: str, findings: list[Finding]) -> dict[str, Any]:
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    example = findings[0]
    name = RULE_DESCRIPTIONS.get(rule) or rule.replace("-", " ").capitalize()
    return {
        "id": rule,
        "name": "".join(part.capitalize() for part in rule.split("-")),
        "shortDescription": {"text": name},
        "fullDescription": {"text": example.title},
        "help": {
            "text": f"{example.fix}\n\nEvery finding, its fix and the permissions the audit "
            "needs: docs/audit-findings.md in the sendscope documentation.",
        },
        "defaultConfiguration": {"level": LEVELS[worst]},
        "properties": {
            "tags": ["security", "microsoft-365", "exchange-online"],
            "security-severity": SECURITY_SEVERITY[worst],
        },
    }


def _result(finding: Finding, rule_index: int, audit: AuditResult) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "kind": "informational" if finding.severity is Severity.INFO else "fail",
        "level": LEVELS[finding.severity],
        "message": {"text": f"{finding.title}\n\n{finding.detail}\n\nFix: {finding.fix}"},
        "partialFingerprints": {FINGERPRINT: "/".join(finding.key)},
        "locations": [_location(finding, audit)],
        "properties": {
            "severity": finding.severity.value,
            "appId": finding.app_id,
            "appName": finding.app_name,
            "subject": finding.subject,
            "permissions": list(finding.permissions),
        },
    }
    if finding.accepted is not None:
        result["suppressions"] = [_suppression(finding.accepted)]
    return result


def _location(finding: Finding, audit: AuditResult) -> dict[str, Any]:
    app = finding.app_id.lower() or "tenant"
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": f"m365/{audit.tenant_domain or audit.tenant_id}/{app}"}
        },
        "logicalLocations": [
            {
                "name": finding.app_name or "tenant",
                "fullyQualifiedName": f"{audit.tenant_id}/{app}",
                "kind": "module",
            }
        ],
    }


def _suppression(acceptance: Acceptance) -> dict[str, Any]:
    expires = acceptance.expires
    return {
        "kind": "external",
        "status": "accepted",
        "justification": acceptance.reason,
        "properties": {"expires": expires.isoformat() if expires else None},
    }


def _invocation(result: AuditResult) -> dict[str, Any]:
    return {
        "executionSuccessful": True,
        "endTimeUtc": _utc(result.generated_at),
        "toolExecutionNotifications": [
            {"level": "note", "message": {"text": note}} for note in result.notes
        ],
    }


def _utc(moment: datetime) -> str:
    """SARIF's date-time form: UTC with a ``Z`` (a naive time is taken to be UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _version() -> str:
    # From the package metadata, not ``sendscope.__version__``: importing the package root
    # would pull in the mailers (HTTP, MSAL), which a renderer must not depend on.
    try:
        return version("sendscope")
    except PackageNotFoundError:
        return "0+unknown"
