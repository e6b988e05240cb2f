"""Accepted findings: a baseline file, checked strictly, applied to an audit's result.

A baseline is a JSON document (docs/audit.md, "Baseline")::

    {
      "schema_version": 1,
      "accepted": [
        {"rule": "unrestricted-send", "app_id": "7fe7c7ed-…", "app_name": "Payroll",
         "reason": "Sends payslips to every employee; reviewed by IT security, CHG-1234",
         "expires": "2027-03-31"}
      ]
    }

``rule``, ``app_id`` and ``reason`` are required; ``subject`` is optional (left out, the
entry accepts the rule on that app whatever the subject); ``expires`` is an optional ISO
date, the last day the acceptance holds; ``app_name`` is optional and only for people
reading the file (matching uses the app id). An accepted finding is still reported, marked
accepted, and does not fail ``--fail-on``. An expired entry accepts nothing: the finding
counts again and the report's notes say the acceptance expired. Every mistake in the file is
a UsageError (exit 2) naming the file, the entry and what is wrong, before any request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from .errors import UsageError
from .policy.findings import Acceptance, AuditResult, Finding, Severity

__all__ = [
    "SCHEMA_VERSION",
    "TODO_REASON",
    "Baseline",
    "BaselineEntry",
    "apply_baseline",
    "baseline_document",
    "load_baseline",
    "parse_baseline",
]

SCHEMA_VERSION = 1
# What --write-baseline puts in every new entry; the loader refuses it until someone edits it.
TODO_REASON = "TODO: say why this finding is accepted"

_REQUIRED = ("rule", "app_id", "reason")
# "app_name" is for the people reading the file; matching uses the app id only.
_KEYS = frozenset({*_REQUIRED, "subject", "expires", "app_name"})
_TOP_KEYS = frozenset({"schema_version", "accepted"})


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding: which (rule, app, subject), why, and until when."""

    number: int  # 1-based position in the file, for messages
    rule: str
    app_id: str
    reason: str
    subject: str | None = None  # None: any subject
    expires: date | None = None

    def matches(self, finding: Finding) -> bool:
        rule, app_id, subject = finding.key
        return (
            self.rule == rule
            and self.app_id.lower() == app_id
            and (self.subject is None or self.subject.casefold() == subject.casefold())
        )

    def expired(self, today: date) -> bool:
        """True once ``today`` is past the last day of the acceptance."""
        return self.expires is not None and today > self.expires

    @property
    def label(self) -> str:
        # The subject as written (a policy identity holds backslashes: no repr doubling them).
        subject = f', subject "{self.subject}"' if self.subject else ""
        return f"entry {self.number} (rule {self.rule}, app {self.app_id or '(none)'}{subject})"


@dataclass(frozen=True, slots=True)
class Baseline:
    """A loaded baseline: where it came from and its entries, in file order."""

    source: str
    entries: tuple[BaselineEntry, ...]


def load_baseline(path: Path) -> Baseline:
    """Read and check the baseline at ``path`` (UsageError, exit 2, on any mistake)."""
    try:
        # utf-8-sig: Windows editors (Notepad, PowerShell's Out-File) save a BOM.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"The baseline file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the baseline file {path}: {exc}.") from None
    return parse_baseline(text, str(path))


def parse_baseline(text: str, source: str) -> Baseline:
    """Check a baseline document's text; ``source`` names it in error messages."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"The baseline file {source} is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}."
        ) from None
    raw = _entries(document, source)
    entries = tuple(_entry(item, i, source) for i, item in enumerate(raw, start=1))
    _check_duplicates(entries, source)
    return Baseline(source, entries)


def _entries(document: object, source: str) -> list[Any]:
    if not isinstance(document, dict):
        raise UsageError(
            f"The baseline file {source} must hold a JSON object with "
            '"schema_version" and "accepted" (docs/audit.md, "Baseline").'
        )
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise UsageError(
            f"The baseline file {source} has unknown key(s) {_quoted(unknown)}; "
            'the document holds only "schema_version" and "accepted".'
        )
    version = document.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        has = (
            f"has schema_version {json.dumps(version)}"
            if "schema_version" in document
            else "has no schema_version"
        )
        raise UsageError(
            f"The baseline file {source} {has}; this sendscope reads schema_version "
            f"{SCHEMA_VERSION}."
        )
    accepted = document.get("accepted")
    if not isinstance(accepted, list):
        raise UsageError(f'The baseline file {source} needs "accepted": a list of entries.')
    return accepted


def _entry(item: object, number: int, source: str) -> BaselineEntry:
    where = f"The baseline file {source}, entry {number}"
    if not isinstance(item, dict):
        raise UsageError(f"{where}: an entry must be a JSON object.")
    _check_keys(item, where)
    rule, app_id, reason = (_string(item, key, where) for key in _REQUIRED)
    if not rule.strip():
        raise UsageError(f'{where}: "rule" is empty; name a rule id such as unrestricted-send.')
    _check_reason(reason, where)
    subject = _string(item, "subject", where) if "subject" in item else None
    if "app_name" in item:
        _string(item, "app_name", where)
    expires = _date(item.get("expires"), where)
    return BaselineEntry(number, rule.strip(), app_id.strip(), reason.strip(), subject, expires)


def _check_keys(item: Mapping[str, object], where: str) -> None:
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        allowed = ", ".join(sorted(_KEYS))
        raise UsageError(f"{where}: unknown key(s) {_quoted(unknown)} (allowed: {allowed}).")
    missing = [key for key in _REQUIRED if key not in item]
    if missing:
        raise UsageError(f"{where}: missing {_quoted(missing)}.{_why(missing)}")


def _quoted(keys: Iterable[str]) -> str:
    return ", ".join(json.dumps(k, ensure_ascii=False) for k in keys)


def _why(missing: list[str]) -> str:
    if "reason" in missing:
        return " Every accepted finding needs a reason: say why it is acceptable."
    return ""


def _string(item: Mapping[str, object], key: str, where: str) -> str:
    value = item[key]
    if not isinstance(value, str):
        raise UsageError(f'{where}: "{key}" must be a string, not {json.dumps(value)}.')
    return value


def _check_reason(reason: str, where: str) -> None:
    if not reason.strip():
        raise UsageError(f'{where}: "reason" is empty; say why this finding is acceptable.')
    if reason.strip().upper().startswith("TODO"):
        raise UsageError(
            f'{where}: "reason" is still {json.dumps(reason.strip(), ensure_ascii=False)}; '
            "replace it with why this "
            "finding is acceptable (or delete the entry)."
        )


def _date(value: object, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise UsageError(
        f'{where}: "expires" is {json.dumps(value)}, not a date; write it as YYYY-MM-DD '
        '(e.g. "2027-03-31"), or leave it out for no expiry.'
    )


def _check_duplicates(entries: Iterable[BaselineEntry], source: str) -> None:
    seen: dict[tuple[str, str, str | None], int] = {}
    for entry in entries:
        subject = entry.subject.casefold() if entry.subject is not None else None
        key = (entry.rule, entry.app_id.lower(), subject)
        if key in seen:
            raise UsageError(
                f"The baseline file {source}, {entry.label}: the same finding as entry "
                f"{seen[key]}; keep one of them."
            )
        seen[key] = entry.number


# -- applying ------------------------------------------------------------------------------


def apply_baseline(
    result: AuditResult, baseline: Baseline, *, today: date | None = None
) -> AuditResult:
    """``result`` with the findings the baseline accepts marked accepted.

    ``today`` (default: the day the audit ran, UTC) decides expiry. An exact entry (with a
    subject) wins over one for any subject. Expired entries and entries that match no
    finding accept nothing and are named in the result's notes.
    """
    day = today or result.generated_at.date()
    used: set[int] = set()
    expired: dict[int, BaselineEntry] = {}
    findings = tuple(_accept(f, baseline.entries, day, used, expired) for f in result.findings)
    notes = [_expired_note(e, baseline.source) for e in expired.values()]
    notes += [
        _unused_note(e, baseline.source) for e in baseline.entries if _unused(e, used, expired)
    ]
    return replace(result, findings=findings, notes=(*result.notes, *notes))


def _accept(
    finding: Finding,
    entries: tuple[BaselineEntry, ...],
    today: date,
    used: set[int],
    expired: dict[int, BaselineEntry],
) -> Finding:
    matching = sorted((e for e in entries if e.matches(finding)), key=lambda e: e.subject is None)
    if not matching:
        return finding
    entry = matching[0]
    if entry.expired(today):
        expired[entry.number] = entry
        return finding
    used.add(entry.number)
    return finding.accept(Acceptance(entry.reason, entry.expires))


def _unused(entry: BaselineEntry, used: set[int], expired: Mapping[int, BaselineEntry]) -> bool:
    return entry.number not in used and entry.number not in expired


def _expired_note(entry: BaselineEntry, source: str) -> str:
    assert entry.expires is not None
    return (
        f"Baseline {source}, {entry.label}: the acceptance expired on "
        f"{entry.expires.isoformat()}; the finding counts again. Renew the entry with a new "
        "date or fix the finding."
    )


def _unused_note(entry: BaselineEntry, source: str) -> str:
    return (
        f"Baseline {source}, {entry.label}: matches no finding of this audit (fixed?); remove it."
    )


# -- starting a baseline -------------------------------------------------------------------


def baseline_document(result: AuditResult) -> dict[str, Any]:
    """A baseline accepting every finding above info, for ``--write-baseline``.

    Findings a baseline already accepts keep their reason and expiry; every other entry
    gets ``TODO_REASON``, which the loader refuses until someone writes the real reason.
    """
    findings = [f for f in result.findings if f.severity is not Severity.INFO]
    return {
        "schema_version": SCHEMA_VERSION,
        "accepted": [_document_entry(f) for f in sorted(findings, key=lambda f: f.key)],
    }


def _document_entry(finding: Finding) -> dict[str, Any]:
    entry: dict[str, Any] = {"rule": finding.rule, "app_id": finding.app_id}
    if finding.subject:
        entry["subject"] = finding.subject
    entry["app_name"] = finding.app_name
    acceptance = finding.accepted or Acceptance(TODO_REASON)
    entry["reason"] = acceptance.reason
    if acceptance.expires:
        entry["expires"] = acceptance.expires.isoformat()
    return entry
