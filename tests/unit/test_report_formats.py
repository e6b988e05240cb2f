"""Every report format renders the same AuditResult validly: JSON parses with its schema
version, CSV parses under its header, Markdown and the table say the same things."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date

from sendscope.report import RENDERERS, markdown, table
from sendscope.report import csv as csv_report
from sendscope.report import json as json_report

from .report_samples import ADMIN, MAILER, RBAC_NOTE, accepted, sample_result


def test_json_holds_everything_with_a_schema_version() -> None:
    result = accepted(sample_result(), "can-lift-restriction", "Vaulted", date(2027, 1, 31))
    doc = json.loads(json_report.render(result))
    assert doc["schema_version"] == 1
    assert doc["tenant"] == {"id": result.tenant_id, "domain": "contoso.onmicrosoft.com"}
    assert doc["generated_at"] == "2026-11-28T17:00:00+00:00"
    assert doc["mailbox_count"] == 52
    assert doc["notes"] == [RBAC_NOTE]
    assert doc["stats"] == {"pages": 9, "requests": 12}
    assert [f["severity"] for f in doc["findings"]] == ["high", "high", "warning", "info"]
    lift = next(f for f in doc["findings"] if f["rule"] == "can-lift-restriction")
    assert lift["accepted"] == {"reason": "Vaulted", "expires": "2027-01-31"}
    assert lift["permissions"] == ["Application.ReadWrite.All"]
    send = next(f for f in doc["findings"] if f["rule"] == "unrestricted-send")
    assert send["accepted"] is None
    assert doc["summary"]["high"] == {"findings": 2, "accepted": 1}


def test_json_apps_by_reach_with_each_permission() -> None:
    doc = json.loads(json_report.render(sample_result()))
    assert [a["name"] for a in doc["apps"]] == ["Timesheet Mailer", "Calendar Sync"]
    mailer, sync = doc["apps"]
    assert mailer["reach"] == 52 and mailer["kind"] == "application"
    assert mailer["permissions"][0]["unrestricted"] is True
    assert sync["kind"] == "multi-tenant"
    assert sync["policies"] == ["RestrictAccess on Sync Scope"]
    assert sync["permissions"][0]["mailboxes"] == [
        "a@contoso.onmicrosoft.com",
        "b@contoso.onmicrosoft.com",
    ]
    assert sync["permissions"][0]["unrestricted"] is False


def test_csv_has_one_row_per_finding_under_the_stable_header() -> None:
    result = accepted(sample_result(), "unrestricted-send", "Payslips", None)
    rows = list(csv.DictReader(io.StringIO(csv_report.render(result), newline="")))
    assert tuple(rows[0].keys()) == csv_report.HEADER
    assert csv_report.HEADER[:4] == ("severity", "rule", "app_id", "app_name")
    findings = [r for r in rows if r["rule"] != "note"]
    assert len(findings) == len(result.findings)
    send = next(r for r in rows if r["rule"] == "unrestricted-send")
    assert send["app_id"] == MAILER
    assert (send["accepted"], send["accepted_reason"], send["accepted_expires"]) == (
        "yes",
        "Payslips",
        "",
    )
    secret = next(r for r in rows if r["rule"] == "client-secret")
    assert (secret["subject"], secret["accepted"], secret["app_id"]) == ("key-1", "no", ADMIN)


def test_csv_of_no_findings_is_the_header_and_the_notes() -> None:
    text = csv_report.render(replace(sample_result(), findings=()))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert text.startswith(",".join(csv_report.HEADER) + "\r\n")
    assert [(r["severity"], r["rule"], r["detail"]) for r in rows] == [("", "note", RBAC_NOTE)]


def test_csv_states_that_rbac_is_not_evaluated_after_the_findings() -> None:
    # Problem 6: CSV has no comments; the notes are rows with rule "note", last.
    rows = list(csv.DictReader(io.StringIO(csv_report.render(sample_result()), newline="")))
    assert [r["rule"] for r in rows][-1] == "note"
    note = rows[-1]
    assert "not yet evaluated" in note["detail"]
    assert (note["severity"], note["app_id"], note["fix"]) == ("", "", "")
    assert note["tenant_domain"] == "contoso.onmicrosoft.com"


def test_markdown_sections_by_severity_and_the_reach_table() -> None:
    result = accepted(sample_result(), "can-lift-restriction", "Vaulted", date(2027, 1, 31))
    text = markdown.render(result)
    assert text.startswith("# sendscope audit of contoso.onmicrosoft.com\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## High (2)", "## Warning (1)", "## Info (1)", "## Reach per app"]
    assert "- **Baseline:** accepted: Vaulted \\(until 2027-01-31\\)" in text
    assert "> - Exchange RBAC for Applications grants are not yet evaluated." in text
    assert f"| Timesheet Mailer `{MAILER}` | application | 52/52 (100%) |" in text


def test_markdown_table_rows_keep_their_column_count() -> None:
    text = markdown.render(sample_result())
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 3
    assert {row.replace("\\|", "").count("|") for row in rows} == {6}


def test_table_fits_80_columns_and_marks_acceptance() -> None:
    result = accepted(sample_result(), "can-lift-restriction", "Vaulted", date(2027, 1, 31))
    text = table.render(result)
    # Every line but the fixes (whole commands, soft-wrapped by the terminal) fits.
    assert max(len(line) for line in text.splitlines() if not line.startswith("Fix: ")) <= 80
    assert not [line for line in text.splitlines() if line != line.rstrip()]
    assert "HIGH (2)" in text and "WARNING (1)" in text and "INFO (1)" in text
    assert "MEDIUM" not in text
    assert "✓ accepted: Vaulted (until 2027-01-31)" in " ".join(text.split())
    assert "Note: Exchange RBAC for Applications grants are not yet evaluated." in text
    assert text.rstrip().endswith("Findings: 2 high, 0 medium, 1 warning, 1 info (1 accepted).")


def test_table_prints_a_long_fix_command_whole_on_one_line() -> None:
    # Problem 14: at 80 columns a policy Identity was folded mid-GUID, uncopyable.
    command = (
        'Remove-ApplicationAccessPolicy -Identity "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\\'
        '7fe7c7ed-6b1c-4a5e-9f0e-0c1d2e3f4a5b:S-1-5-21-1;0f0e0d0c-0b0a-4909-8807-060504030201"'
    )
    first = sample_result().findings[0]
    result = replace(sample_result(), findings=(replace(first, fix=f"Or {command}"),))
    lines = table.render(result).splitlines()
    assert f"Fix: Or {command}" in lines
    assert "1 app with mailbox permissions" in table.render(replace(result, apps=result.apps[:1]))


def test_table_puts_high_before_warning_before_info() -> None:
    text = table.render(sample_result())
    order = [text.index(h) for h in ("HIGH (2)", "WARNING (1)", "INFO (1)", "Reach per app")]
    assert order == sorted(order)
    assert text.index("Timesheet Mailer") < text.index("Uses a client secret")


def test_every_file_format_is_registered() -> None:
    assert set(RENDERERS) == {"json", "csv", "markdown", "sarif", "html"}
    for render in RENDERERS.values():
        assert MAILER in render(sample_result())
