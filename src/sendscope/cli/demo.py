"""``sendscope demo``: the whole procedure on the embedded emulator, in under 30 seconds.

Starts the emulator (demo tenant, Microsoft 365's 60-minute propagation delay) in a
temporary directory, then runs cli/demo_steps.py: connect → restrict → test-policy → verify
→ summary, with the real commands' code. verify's waiting moves the emulator's clock on by
each interval instead of sleeping it. ``--keep`` leaves the emulator running afterwards and
says how to explore it. docs/demo.md walks through the output.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .options import JsonOpt
from .pipes import stdout_console

if TYPE_CHECKING:
    from rich.console import Console

    from ..emulator import ThreadedEmulator
    from ..emulator.core.clock import EmulatorClock
    from .demo_steps import DemoResult, DemoTenant

__all__ = ["demo"]

KeepOpt = Annotated[
    bool,
    typer.Option("--keep", help="Leave the emulator running afterwards, to explore it."),
]

# Real seconds each verify round lasts on a terminal, so the live display can be read.
_ROUND_PAUSE = 0.25


class EmulatorTime:
    """verify's clock in the demo: waiting moves the emulator's clock on instead."""

    def __init__(self, clock: EmulatorClock, pause: float) -> None:
        self._clock = clock
        self._pause = pause

    def now(self) -> float:
        return self._clock.timestamp()

    def sleep(self, seconds: float) -> None:
        self._clock.advance(seconds)
        if self._pause:
            time.sleep(self._pause)


def demo(keep: KeepOpt = False, as_json: JsonOpt = False) -> None:
    """Run the whole procedure on a local emulator: connect, restrict, test-policy, verify."""
    import shutil
    import tempfile

    console = stdout_console(highlight=False)
    work = Path(tempfile.mkdtemp(prefix="sendscope-demo-"))
    try:
        result = _run(work, console, keep=keep, as_json=as_json)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    from ..verify import raise_for_outcome

    raise_for_outcome(result.verify)


def _run(work: Path, console: Console, *, keep: bool, as_json: bool) -> DemoResult:
    from ..emulator import EmulatorSettings, ThreadedEmulator
    from .demo_steps import document, run_procedure

    settings = EmulatorSettings()
    with ThreadedEmulator(seed="demo", data_dir=work, settings=settings) as emulator:
        tenant = _tenant(emulator, settings.propagation_delay)
        if not as_json:
            _intro(console, emulator, tenant)
        pause = _ROUND_PAUSE if console.is_terminal and not as_json else 0.0
        clock = EmulatorTime(emulator.state.clock, pause)
        result = run_procedure(tenant, clock, console, quiet=as_json)
        if as_json:
            typer.echo(json.dumps(document(tenant, result, _where(emulator)), indent=2))
        if keep:
            _explore(console, emulator, tenant, to_stderr=as_json)
            _wait_for_interrupt()
    return result


def _tenant(emulator: ThreadedEmulator, propagation_seconds: float) -> DemoTenant:
    from .demo_steps import DemoTenant

    row = emulator.info["tenants"][0]
    app = row["apps"][0]
    minutes = round(propagation_seconds / 60)
    return DemoTenant(
        emulator_dir=emulator.data_dir,
        domain=str(row["domain"]),
        app_name=str(app["name"]),
        app_id=str(app["client_id"]),
        propagation=f"{minutes} minutes",
    )


def _where(emulator: ThreadedEmulator) -> dict[str, Any]:
    return {
        "url": emulator.url,
        "outbox_page": f"{emulator.url}/_emulator/ui",
        "emulator_json": str(emulator.info_path),
    }


def _intro(console: Console, emulator: ThreadedEmulator, tenant: DemoTenant) -> None:
    from rich.text import Text

    console.print(Text("sendscope demo", style="bold"))
    console.print(
        f"A local emulator of Entra ID, Microsoft Graph and Exchange Online runs at "
        f"{emulator.url} with the demo tenant {tenant.domain}. Its app "
        f'"{tenant.app_name}" holds Mail.Send: it can send as every mailbox, the CEO\'s '
        "included. The demo locks it down the way Microsoft documents it, step by step, "
        "with sendscope's commands (DIR below is the emulator's directory).",
        highlight=False,
    )


def _explore(
    console: Console, emulator: ThreadedEmulator, tenant: DemoTenant, *, to_stderr: bool
) -> None:
    from rich.console import Console as RichConsole
    from rich.text import Text

    from .demo_steps import command_lines

    out = RichConsole(highlight=False, stderr=True) if to_stderr else console
    where, url = emulator.data_dir, emulator.url
    noreply, ceo, hr = (tenant.address(n) for n in ("noreply", "ceo", "hr"))
    out.print()
    out.rule(Text("The emulator is still running (--keep)", style="bold"))
    for label, value in (
        ("URL", url),
        ("Outbox page", f"{url}/_emulator/ui"),
        ("emulator.json", f"{emulator.info_path} (its test credentials)"),
        ("CA", str(emulator.ca_cert)),
    ):
        out.print(Text(f"{label:<14} {value}"), soft_wrap=True)
    out.print()
    out.print("Try, in another terminal (the last send is refused by the new policy):")
    for command in (
        f"sendscope connect --emulator {where}",
        f"sendscope send --emulator {where} --from {noreply} --to {hr} --subject Hi --body Hi",
        f"sendscope send --emulator {where} --from {ceo} --to {hr} --subject Hi --body Hi",
        f"sendscope audit --emulator {where}",
        f"curl --cacert {emulator.ca_cert} {url}/_emulator/outbox",
    ):
        for line in command_lines(command, 78):
            out.print(Text("  " + line), soft_wrap=True)
    out.print()
    out.print("Press Ctrl-C to stop it (its directory is deleted then).")


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM."""
    import signal
    import threading

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
