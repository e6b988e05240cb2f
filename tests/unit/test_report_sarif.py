"""The SARIF report holds SARIF 2.1.0's essential structure (checked by hand: no jsonschema
here), maps severities to levels as docs/audit.md says, and turns acceptances into
suppressions."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

from sendscope.report import sarif

from .report_samples import ADMIN, MAILER, RBAC_NOTE, accepted, sample_result

LEVELS = {"none", "note", "warning", "error"}


def _log(result: Any) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(sarif.render(result))
    return log


def _check_essentials(log: dict[str, Any]) -> None:
    """The required properties of sarif-schema-2.1.0.json for what we emit."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sendscope"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in LEVELS
        assert re.fullmatch(r"\d+\.\d", rule["properties"]["security-severity"])
    for result in run["results"]:
        assert result["message"]["text"]
        assert result["level"] in LEVELS
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"]
        assert location["logicalLocations"][0]["name"]
        for suppression in result.get("suppressions", []):
            assert suppression["kind"] in {"inSource", "external"}
    for invocation in run["invocations"]:
        assert isinstance(invocation["executionSuccessful"], bool)


def test_the_log_has_the_essential_structure() -> None:
    log = _log(accepted(sample_result(), "client-secret", "Rotated monthly", date(2027, 1, 1)))
    _check_essentials(log)
    _check_essentials(_log(replace(sample_result(), findings=(), apps=())))


def test_the_driver_is_sendscope_at_its_version() -> None:
    from sendscope import __version__

    driver = _log(sample_result())["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == (
        "sendscope",
        __version__,
        __version__,
    )


def test_rules_come_from_the_rule_ids_with_their_worst_level() -> None:
    driver = _log(sample_result())["runs"][0]["tool"]["driver"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert sorted(rules) == [
        "can-lift-restriction",
        "client-secret",
        "restricted",
        "unrestricted-send",
    ]
    send = rules["unrestricted-send"]
    assert send["shortDescription"]["text"] == "An app can send mail as every mailbox"
    assert send["defaultConfiguration"]["level"] == "error"
    assert send["properties"]["security-severity"] == "8.0"
    assert rules["restricted"]["shortDescription"]["text"] == "Restricted"


def test_levels_map_high_medium_warning_info() -> None:
    results = _log(sample_result())["runs"][0]["results"]
    levels = {r["ruleId"]: (r["level"], r["kind"]) for r in results}
    assert levels == {
        "unrestricted-send": ("error", "fail"),
        "can-lift-restriction": ("error", "fail"),
        "client-secret": ("note", "fail"),
        "restricted": ("none", "informational"),
    }
    assert sarif.LEVELS[sarif.Severity.MEDIUM] == "warning"


def test_fingerprints_are_the_baseline_key_and_locations_name_the_app() -> None:
    results = _log(sample_result())["runs"][0]["results"]
    secret = next(r for r in results if r["ruleId"] == "client-secret")
    assert secret["partialFingerprints"] == {
        "sendscopeFindingKey/v1": f"client-secret/{ADMIN}/key-1"
    }
    send = next(r for r in results if r["ruleId"] == "unrestricted-send")
    (location,) = send["locations"]
    assert location["logicalLocations"] == [
        {
            "name": "Timesheet Mailer",
            "fullyQualifiedName": f"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d/{MAILER}",
            "kind": "module",
        }
    ]
    uri = location["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == f"m365/contoso.onmicrosoft.com/{MAILER}"


def test_accepted_findings_are_suppressions_with_the_reason() -> None:
    result = accepted(sample_result(), "unrestricted-send", "Payslips, CHG-1", date(2027, 3, 31))
    results = _log(result)["runs"][0]["results"]
    send = next(r for r in results if r["ruleId"] == "unrestricted-send")
    assert send["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Payslips, CHG-1",
            "properties": {"expires": "2027-03-31"},
        }
    ]
    assert all("suppressions" not in r for r in results if r["ruleId"] != "unrestricted-send")


def test_notes_are_tool_notifications() -> None:
    (invocation,) = _log(sample_result())["runs"][0]["invocations"]
    assert invocation["endTimeUtc"] == "2026-11-28T17:00:00.000000Z"
    assert invocation["toolExecutionNotifications"] == [
        {"level": "note", "message": {"text": RBAC_NOTE}}
    ]
