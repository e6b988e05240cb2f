"""``sendscope emulator``: run the local Microsoft 365 emulator."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..emulator import EmulatorSettings, serve
from ..emulator.core.durations import parse_duration
from ..emulator.seeds import SEEDS
from ..emulator.server import LOOPBACK_HOSTS
from ..errors import UsageError

__all__ = ["app"]

app = typer.Typer(help="A local emulator of Entra, Microsoft Graph and Exchange Online.",
                  no_args_is_help=True)


def _duration(option: str, value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Address to bind; loopback unless you say otherwise."),
    port: int = typer.Option(8765, help="Port to listen on; 0 picks a free one."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Keep state, CA and emulator.json here (else: memory and a temp dir)."
    ),
    seed: str = typer.Option("demo", help=f"Tenant to start with: {' or '.join(SEEDS)}."),
    propagation_delay: str = typer.Option("60m", help="Delay before policy additions reach Graph."),
    removal_delay: str = typer.Option("30m", help="Delay before policy removals reach Graph."),
    time_scale: float = typer.Option(1.0, help="Emulator seconds per real second."),
    latency: str = typer.Option("0ms", help="Service time added to mailbox and Exchange calls."),
    auto_approve: bool = typer.Option(
        False, "--auto-approve-device-codes", help="Approve device-code sign-ins as admin@."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the ready line as JSON."),
) -> None:
    """Serve the emulator over HTTPS until Ctrl-C."""
    settings = _settings(port, seed, propagation_delay, removal_delay, time_scale, latency,
                         auto_approve)
    if host not in LOOPBACK_HOSTS:
        typer.echo(f"warning: binding {host}: the emulator is reachable beyond this machine, "
                   "with test credentials anyone can read from emulator.json", err=True)

    def ready(url: str, info: Path) -> None:
        if as_json:
            line = json.dumps({"schema_version": 1, "event": "ready", "url": url,
                               "emulator_json": str(info.resolve())})
        else:
            line = f"emulator ready {url} {info.resolve()}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    try:
        serve(host=host, port=port, data_dir=data_dir, seed=seed, settings=settings, on_ready=ready)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}. "
                         "Pick another --port (0 picks a free one).") from None


def _settings(
    port: int, seed: str, propagation: str, removal: str, scale: float, latency: str,
    auto_approve: bool,
) -> EmulatorSettings:
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a port: use 0 to 65535 (0 picks a free one)")
    if seed not in SEEDS:
        raise UsageError(f"--seed {seed!r} is not a seed: use {' or '.join(SEEDS)}")
    if scale <= 0:
        raise UsageError(f"--time-scale {scale} must be greater than 0")
    return EmulatorSettings(
        propagation_delay=_duration("--propagation-delay", propagation),
        removal_delay=_duration("--removal-delay", removal),
        time_scale=scale,
        latency=_duration("--latency", latency),
        auto_approve_device_codes=auto_approve,
    )
