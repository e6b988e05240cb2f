"""Baseline files: strict loading with errors that name the file, the entry and the fault
(exit 2), and applying one: accepted findings marked, expired and unused entries noted."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sendscope.baseline import (
    TODO_REASON,
    Baseline,
    apply_baseline,
    baseline_document,
    load_baseline,
    parse_baseline,
)
from sendscope.errors import UsageError
from sendscope.policy.findings import Acceptance, Severity

from .report_samples import ADMIN, MAILER, RBAC_NOTE, sample_result

SOURCE = "ci/baseline.json"


def _doc(*entries: dict[str, Any], **top: Any) -> str:
    return json.dumps({"schema_version": 1, "accepted": list(entries), **top})


def _entry(**fields: Any) -> dict[str, Any]:
    return {"rule": "unrestricted-send", "app_id": MAILER, "reason": "Payslips", **fields}


def _error(text: str) -> str:
    with pytest.raises(UsageError) as caught:
        parse_baseline(text, SOURCE)
    assert caught.value.exit_code == 2
    return caught.value.message


# -- loading ------------------------------------------------------------------------------


def test_a_valid_file_loads_every_entry(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(
        _doc(_entry(expires="2027-03-31", app_name="Timesheet Mailer"), _entry(rule="x")),
        encoding="utf-8",
    )
    baseline = load_baseline(path)
    assert baseline.source == str(path)
    first, second = baseline.entries
    assert (first.number, first.rule, first.app_id, first.reason) == (
        1,
        "unrestricted-send",
        MAILER,
        "Payslips",
    )
    assert first.expires == date(2027, 3, 31) and first.subject is None
    assert (second.number, second.rule, second.expires) == (2, "x", None)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_baseline(tmp_path / "nope.json")
    assert caught.value.message == f"The baseline file {tmp_path / 'nope.json'} does not exist."


def test_not_json_says_where() -> None:
    assert _error('{"schema_version": 1,') == (
        f"The baseline file {SOURCE} is not valid JSON: Expecting property name enclosed in "
        "double quotes at line 1, column 22."
    )


def test_the_document_must_be_an_object_of_the_known_version() -> None:
    assert _error("[]").startswith(f"The baseline file {SOURCE} must hold a JSON object")
    assert _error(json.dumps({"schema_version": 2, "accepted": []})) == (
        f"The baseline file {SOURCE} has schema_version 2; this sendscope reads schema_version 1."
    )
    assert _error(json.dumps({"accepted": []})).endswith(
        "has no schema_version; this sendscope reads schema_version 1."
    )
    assert _error(_doc(extra=1)) == (
        f'The baseline file {SOURCE} has unknown key(s) "extra"; the document holds only '
        '"schema_version" and "accepted".'
    )
    assert _error(json.dumps({"schema_version": 1, "accepted": {}})) == (
        f'The baseline file {SOURCE} needs "accepted": a list of entries.'
    )


def test_a_missing_reason_is_refused_with_why() -> None:
    entry = _entry()
    del entry["reason"]
    assert _error(_doc(_entry(), entry)) == (
        f'The baseline file {SOURCE}, entry 2: missing "reason". Every accepted finding '
        "needs a reason: say why it is acceptable."
    )


def test_an_empty_or_todo_reason_is_refused() -> None:
    assert _error(_doc(_entry(reason="  "))) == (
        f'The baseline file {SOURCE}, entry 1: "reason" is empty; say why this finding is '
        "acceptable."
    )
    assert _error(_doc(_entry(reason=TODO_REASON))) == (
        f'The baseline file {SOURCE}, entry 1: "reason" is still "{TODO_REASON}"; replace it '
        "with why this finding is acceptable (or delete the entry)."
    )


def test_a_bad_date_is_refused() -> None:
    assert _error(_doc(_entry(expires="31/03/2027"))) == (
        f'The baseline file {SOURCE}, entry 1: "expires" is "31/03/2027", not a date; write '
        'it as YYYY-MM-DD (e.g. "2027-03-31"), or leave it out for no expiry.'
    )
    assert "not a date" in _error(_doc(_entry(expires=20270331)))


def test_unknown_keys_and_missing_required_keys_are_named() -> None:
    assert _error(_doc(_entry(severity="high", note="x"))) == (
        f'The baseline file {SOURCE}, entry 1: unknown key(s) "note", "severity" (allowed: '
        "app_id, app_name, expires, reason, rule, subject)."
    )
    assert _error(_doc({"reason": "r"})) == (
        f'The baseline file {SOURCE}, entry 1: missing "rule", "app_id".'
    )


def test_wrong_types_and_duplicates_are_refused() -> None:
    assert _error(_doc("unrestricted-send")) == (
        f"The baseline file {SOURCE}, entry 1: an entry must be a JSON object."
    )
    assert _error(_doc(_entry(app_id=7))) == (
        f'The baseline file {SOURCE}, entry 1: "app_id" must be a string, not 7.'
    )
    assert _error(_doc(_entry(rule=" "))).endswith(
        '"rule" is empty; name a rule id such as unrestricted-send.'
    )
    assert _error(_doc(_entry(), _entry(app_id=MAILER.upper(), reason="again"))) == (
        f"The baseline file {SOURCE}, entry 2 (rule unrestricted-send, app "
        f"{MAILER.upper()}): the same finding as entry 1; keep one of them."
    )


# -- applying -----------------------------------------------------------------------------


def _apply(*entries: dict[str, Any], today: date | None = None) -> Any:
    return apply_baseline(sample_result(), parse_baseline(_doc(*entries), SOURCE), today=today)


def test_a_matching_entry_accepts_the_finding_and_it_stops_failing() -> None:
    before = sample_result()
    assert {f.rule for f in before.failing(Severity.HIGH)} == {
        "unrestricted-send",
        "can-lift-restriction",
    }
    after = _apply(_entry(app_id=MAILER.upper(), expires="2026-11-28"))
    send = next(f for f in after.findings if f.rule == "unrestricted-send")
    assert send.accepted == Acceptance("Payslips", date(2026, 11, 28))
    assert {f.rule for f in after.failing(Severity.HIGH)} == {"can-lift-restriction"}
    assert after.notes == (RBAC_NOTE,)
    assert len(after.findings) == len(before.findings)


def test_an_expired_entry_accepts_nothing_and_the_notes_say_so() -> None:
    after = _apply(_entry(expires="2026-11-27"))  # the audit ran on 2026-11-28
    assert {f.rule for f in after.failing(Severity.HIGH)} == {
        "unrestricted-send",
        "can-lift-restriction",
    }
    assert after.notes[1] == (
        f"Baseline {SOURCE}, entry 1 (rule unrestricted-send, app {MAILER}): the acceptance "
        "expired on 2026-11-27; the finding counts again. Renew the entry with a new date or "
        "fix the finding."
    )


def test_today_decides_expiry() -> None:
    entry = _entry(expires="2026-12-01")
    assert _apply(entry, today=date(2026, 12, 1)).failing(Severity.HIGH)[0].rule == (
        "can-lift-restriction"
    )
    assert len(_apply(entry, today=date(2026, 12, 2)).failing(Severity.HIGH)) == 2


def test_subject_narrows_and_its_absence_matches_any_subject() -> None:
    secret = {"rule": "client-secret", "app_id": ADMIN, "reason": "Rotated"}
    assert _apply(secret).failing(Severity.WARNING)[-1].rule == "can-lift-restriction"
    wrong = _apply({**secret, "subject": "key-2"})
    assert any(f.rule == "client-secret" for f in wrong.failing(Severity.WARNING))
    assert "matches no finding of this audit (fixed?); remove it." in wrong.notes[-1]
    exact = _apply({**secret, "subject": "key-1", "reason": "Exact"}, secret)
    accepted = next(f for f in exact.findings if f.rule == "client-secret").accepted
    assert accepted == Acceptance("Exact")


def test_subject_matches_whatever_its_case() -> None:
    # Problem 10: an upper-cased key id or policy Identity is the same subject.
    secret = {"rule": "client-secret", "app_id": ADMIN, "reason": "Rotated", "subject": "KEY-1"}
    found = next(f for f in _apply(secret).findings if f.rule == "client-secret")
    assert found.accepted == Acceptance("Rotated")
    twice = _doc({**secret, "subject": "key-1"}, secret)
    assert "the same finding as entry 1" in _error(twice)


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    # Problem 9: Notepad and PowerShell's Out-File write a BOM.
    path = tmp_path / "baseline.json"
    path.write_bytes(b"\xef\xbb\xbf" + _doc(_entry()).encode("utf-8"))
    assert len(load_baseline(path).entries) == 1


def test_a_policy_identity_subject_is_named_as_written_in_notes() -> None:
    # Problem 14: no Python repr doubling the backslashes of a policy Identity.
    identity = "11111111-1111-1111-1111-111111111111\\app:S-1-5;g"
    after = _apply(_entry(subject=identity))
    assert f'subject "{identity}")' in after.notes[-1]
    assert "\\\\" not in after.notes[-1]


def test_an_unused_entry_is_noted() -> None:
    after = _apply(_entry(app_id="00000000-0000-4000-8000-000000000000"))
    assert after.notes[1] == (
        f"Baseline {SOURCE}, entry 1 (rule unrestricted-send, app "
        "00000000-0000-4000-8000-000000000000): matches no finding of this audit (fixed?); "
        "remove it."
    )


def test_an_empty_baseline_changes_nothing() -> None:
    assert apply_baseline(sample_result(), Baseline(SOURCE, ())) == sample_result()


# -- starting one -------------------------------------------------------------------------


def test_a_written_baseline_is_refused_until_its_reasons_are_edited() -> None:
    document = baseline_document(sample_result())
    assert [(e["rule"], e.get("subject")) for e in document["accepted"]] == [
        ("can-lift-restriction", None),
        ("client-secret", "key-1"),
        ("unrestricted-send", None),
    ]
    text = json.dumps(document)
    assert "entry 1" in _error(text) and "still" in _error(text)
    for entry in document["accepted"]:
        entry["reason"] = "Reviewed"
    edited = apply_baseline(sample_result(), parse_baseline(json.dumps(document), SOURCE))
    assert edited.failing(Severity.WARNING) == ()
