"""The HTML report is one self-contained file (nothing fetched, an SVG chart inline) and
escapes hostile values; the other text formats neutralise them too."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

from sendscope.report import csv as csv_report
from sendscope.report import html, markdown, sarif, table
from sendscope.report import json as json_report

from .report_samples import HOSTILE, MAILER, hostile_result, sample_result

SCRIPT = '<script>alert("x")</script>'


def test_one_self_contained_file_with_an_inline_chart() -> None:
    page = html.render(sample_result())
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</body></html>")
    assert "<style>" in page and "<svg" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for fetching in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import"):
        assert fetching not in page.lower(), fetching
    assert not re.search(r"https?://", page)


def test_the_chart_has_one_bar_per_app_sized_by_reach() -> None:
    svg = html.chart(sample_result())
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert titles == [
        f"Timesheet Mailer ({MAILER}): 52/52 (100%)",
        "Calendar Sync (11111111-2222-4333-8444-555566667777): 2/52 (4%)",
    ]
    widths = re.findall(r'<rect x="\d+" y="\d+" width="(\d+)" height="16" fill="#(?!eceff1)', svg)
    assert widths == ["380", "15"]
    assert "#c62828" in svg  # the mailer's high finding colours its bar


def test_no_apps_is_said_in_words() -> None:
    page = html.render(replace(sample_result(), apps=()))
    assert "No app holds a mailbox permission." in page
    assert "<svg" not in page


def test_html_escapes_a_hostile_app_name_everywhere() -> None:
    page = html.render(hostile_result())
    assert SCRIPT not in page
    assert "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert not re.search(r"https?://[^\s<]*\"", page.replace("&quot;", ""))
    assert HOSTILE in page


def test_markdown_escapes_a_hostile_app_name() -> None:
    text = markdown.render(hostile_result())
    body = [line.removeprefix(">") for line in text.splitlines()]  # blockquote markers
    assert not any(re.search(r"(?<!\\)[<>]", line) for line in body)  # all escaped
    assert "\\<script\\>alert\\(" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and HOSTILE in line]
    assert len(rows) == 1
    assert rows[0].replace("\\|", "").count("|") == 6


def test_csv_defuses_formulas() -> None:
    rows = list(csv.DictReader(io.StringIO(csv_report.render(hostile_result()), newline="")))
    (row,) = [r for r in rows if r["rule"] != "note"]
    assert row["fix"] == "'-cmd|' /C calc'!A0"
    assert row["app_name"].startswith("<script>")  # not a formula start: kept as it is
    assert (
        csv_report.row(replace(hostile_result().findings[0], app_name="=1+1"), hostile_result())[3]
        == "'=1+1"
    )


def test_json_sarif_and_table_keep_the_name_as_data() -> None:
    result = hostile_result()
    name = result.apps[0].name
    assert json.loads(json_report.render(result))["apps"][0]["name"] == name
    log = json.loads(sarif.render(result))
    assert log["runs"][0]["results"][0]["properties"]["appName"] == name
    text = " ".join(table.render(result, width=200).split())
    assert "[bold]|`*_" in text
