"""``sendscope audit``: every app that can reach mailboxes, what it really reaches, and why.

Output: the rich table on stdout, unless stdout is taken by ``--json`` or a report option
given ``-``; report options (``--csv``, ``--markdown``, ``--sarif``, ``--html``) take a path
or ``-``, several at once. Everything is checked before the tenant is read (exit 2: report
paths, the baseline), and files are written only after the audit succeeded, each atomically
(a temporary file renamed into place), so a failed run leaves no half-written report.
Exit 3 when a finding at or above ``--fail-on`` is not accepted by ``--baseline``.
docs/audit.md is the manual.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..files import write_atomically
from .admin_options import (
    AdminCertificateOpt,
    AdminClientIdOpt,
    AdminClientSecretFileOpt,
    admin_options,
)
from .options import CloudOpt, EmulatorOpt, JsonOpt, ProfileOpt, TenantOpt, terminal_prompt
from .pipes import stop_writing
from .progress import live_counts

if TYPE_CHECKING:
    from rich.console import Console

    from ..policy.findings import AuditResult, Finding

__all__ = ["FailOn", "Output", "audit", "plan_outputs", "write_atomically"]

_REPORTS = "Reports"
_STDOUT = "-"


class FailOn(StrEnum):
    """``--fail-on``: the least severe finding that fails the run (exit 3)."""

    HIGH = "high"
    MEDIUM = "medium"
    WARNING = "warning"


def _path_option(flag: str, what: str) -> object:
    return typer.Option(
        flag, rich_help_panel=_REPORTS, metavar="PATH", show_default=False, help=what
    )


CsvOpt = Annotated[str | None, _path_option("--csv", "Write one CSV row per finding to PATH.")]
MarkdownOpt = Annotated[str | None, _path_option("--markdown", "Write a Markdown report.")]
SarifOpt = Annotated[
    str | None, _path_option("--sarif", "Write SARIF 2.1.0 (code-scanning dashboards).")
]
HtmlOpt = Annotated[
    str | None, _path_option("--html", "Write one self-contained HTML page with a chart.")
]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        case_sensitive=False,
        show_default=False,
        help="Exit 3 when a finding this severe or worse is not accepted by --baseline.",
    ),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        metavar="FILE",
        show_default=False,
        help="Accepted findings (JSON, each with a reason and an optional expiry).",
    ),
]
WriteBaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--write-baseline",
        metavar="FILE",
        show_default=False,
        help="Start a baseline from this run's findings (each reason TODO until edited).",
    ),
]


@dataclass(frozen=True, slots=True)
class Output:
    """One report to write: its format and where (``None``: stdout)."""

    format: str
    path: Path | None


def audit(
    as_json: JsonOpt = False,
    csv: CsvOpt = None,
    markdown: MarkdownOpt = None,
    sarif: SarifOpt = None,
    html: HtmlOpt = None,
    fail_on: FailOnOpt = None,
    baseline: BaselineOpt = None,
    write_baseline: WriteBaselineOpt = None,
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    profile: ProfileOpt = None,
    admin_client_id: AdminClientIdOpt = None,
    admin_client_secret_file: AdminClientSecretFileOpt = None,
    admin_certificate: AdminCertificateOpt = None,
) -> None:
    """Audit every app that can reach mailboxes: its real reach, findings and fixes."""
    from ..admin import connect_admin
    from ..audit import run_audit
    from ..baseline import apply_baseline, load_baseline

    wanted = {"json": _STDOUT if as_json else None, "csv": csv, "markdown": markdown}
    reports = {**wanted, "sarif": sarif, "html": html}
    outputs = plan_outputs(reports, write_baseline, baseline=baseline)
    accepted = load_baseline(baseline) if baseline else None
    options = admin_options(
        cloud, emulator, tenant, profile, admin_client_id, admin_client_secret_file,
        admin_certificate,
    )  # fmt: skip
    prompt = terminal_prompt()
    with connect_admin(options, prompt=prompt) as session, live_counts("Reading ") as progress:
        result = run_audit(session, progress=progress)
    if accepted is not None:
        result = apply_baseline(result, accepted)
    _emit(result, outputs, write_baseline)
    if fail_on is not None:
        _check(result, fail_on)


# -- outputs ------------------------------------------------------------------------------


def plan_outputs(
    wanted: dict[str, str | None], write_baseline: Path | None, *, baseline: Path | None = None
) -> list[Output]:
    """The reports asked for, checked before anything is read (UsageError, exit 2).

    At most one may go to stdout; no two to one file; none onto the ``--baseline`` file
    (``--write-baseline`` may replace it); every file's folder must exist.
    """
    from ..errors import UsageError

    if write_baseline is not None and str(write_baseline) == _STDOUT:
        raise UsageError(
            "--write-baseline needs a file path, not -: a baseline is a file kept with the "
            "audit (e.g. --write-baseline audit-baseline.json)."
        )

    outputs = [
        Output(name, None if target == _STDOUT else Path(target))
        for name, target in wanted.items()
        if target is not None
    ]
    on_stdout = [o.format for o in outputs if o.path is None]
    if len(on_stdout) > 1:
        names = " and ".join(_flag(f) for f in on_stdout)
        raise UsageError(
            f"Only one report can go to standard output, but {names} both ask for it; "
            "give all but one a file path."
        )
    paths = [o.path for o in outputs if o.path is not None]
    _check_not_baseline(outputs, baseline)
    paths += [write_baseline] if write_baseline else []
    _check_paths(paths)
    return outputs


def _check_not_baseline(outputs: list[Output], baseline: Path | None) -> None:
    # A report written over the baseline would silently lose every accepted finding.
    from ..errors import UsageError

    if baseline is None:
        return
    for output in outputs:
        if output.path is not None and output.path.resolve() == baseline.resolve():
            raise UsageError(
                f"--{output.format} {output.path} would overwrite the baseline file "
                f"{baseline}; write the report to another file."
            )


def _flag(name: str) -> str:
    return f"--{name}" if name == "json" else f"--{name} -"


def _check_paths(paths: list[Path]) -> None:
    from ..errors import UsageError

    seen: set[Path] = set()
    for path in paths:
        resolved = path.resolve()
        if resolved in seen:
            raise UsageError(f"Two reports would be written to {path}; give each its own file.")
        seen.add(resolved)
        if resolved.is_dir():
            raise UsageError(f"Cannot write the report to {path}: it is a directory.")
        if not resolved.parent.is_dir():
            raise UsageError(
                f"Cannot write the report to {path}: the folder {path.parent} does not exist."
            )


def _emit(result: AuditResult, outputs: list[Output], write_baseline: Path | None) -> None:
    from ..report import RENDERERS

    documents = [(o, RENDERERS[o.format](result)) for o in outputs]
    for output, text in documents:
        if output.path is not None:
            write_atomically(output.path, text)
    if write_baseline is not None:
        write_atomically(write_baseline, _baseline_text(result))
    stdout = [text for output, text in documents if output.path is None]
    with _reader_may_leave():
        if stdout:
            typer.echo(stdout[0], nl=False)
        else:
            from ..report.table import show

            show(_console(), result)
        sys.stdout.flush()


@contextlib.contextmanager
def _reader_may_leave() -> Iterator[None]:
    """``sendscope audit | head``: when the reader closes the pipe, stop writing quietly
    (exit 0 unless --fail-on fails): the audit is complete by the time it is shown. Other
    commands stop at once with exit 141 (``main``)."""
    try:
        yield
    except BrokenPipeError:
        stop_writing()


def _baseline_text(result: AuditResult) -> str:
    from ..baseline import baseline_document

    return json.dumps(baseline_document(result), indent=2, ensure_ascii=False) + "\n"


# -- exit 3 -------------------------------------------------------------------------------


def _check(result: AuditResult, fail_on: FailOn) -> None:
    from ..errors import CheckFailed
    from ..policy.findings import Severity

    failing = result.failing(Severity(fail_on.value))
    if failing:
        raise CheckFailed(_failing_sentence(failing, fail_on))


def _failing_sentence(failing: tuple[Finding, ...], fail_on: FailOn) -> str:
    shown = "; ".join(
        f"{f.severity.value} {f.rule} on {f.app_name or 'the tenant'}"
        + (f" ({f.app_id})" if f.app_id else "")
        for f in failing[:5]
    )
    more = f"; and {len(failing) - 5} more" if len(failing) > 5 else ""
    return (
        f"{len(failing)} finding(s) at or above --fail-on {fail_on.value} are not accepted: "
        f"{shown}{more}. Fix them (each finding says how), or accept them with a reason in "
        "a --baseline file (docs/audit.md)."
    )


# -- small things -------------------------------------------------------------------------


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)
