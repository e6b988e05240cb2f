"""``sendscope emulator``: run the local Microsoft 365 emulator."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError

if TYPE_CHECKING:
    from ..emulator import EmulatorSettings

__all__ = ["app"]

app = typer.Typer(
    help="A local emulator of Entra, Microsoft Graph and Exchange Online.", no_args_is_help=True
)


def _duration(option: str, value: str) -> float:
    from ..emulator.core.durations import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless you say so.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 8765,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Keep state, CA and emulator.json here (else: memory, a temp dir)."
        ),
    ] = None,
    seed: Annotated[str, typer.Option(help="Tenant to start with: demo or empty.")] = "demo",
    propagation_delay: Annotated[
        str, typer.Option(help="Delay before policy additions reach Graph.")
    ] = "60m",
    removal_delay: Annotated[
        str, typer.Option(help="Delay before policy removals reach Graph.")
    ] = "30m",
    time_scale: Annotated[float, typer.Option(help="Emulator seconds per real second.")] = 1.0,
    latency: Annotated[
        str, typer.Option(help="Service time added to mailbox and Exchange calls.")
    ] = "0ms",
    auto_approve: Annotated[
        bool,
        typer.Option("--auto-approve-device-codes", help="Approve device-code sign-ins as admin@."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ready line as JSON.")] = False,
) -> None:
    """Serve the emulator over HTTPS until Ctrl-C."""
    # Imported here: the emulator's server stack is heavy, other commands must start fast.
    from ..emulator import serve
    from ..emulator.server import LOOPBACK_HOSTS, DataDirInUse, DataDirUnusable

    settings = _settings(
        port, seed, propagation_delay, removal_delay, time_scale, latency, auto_approve
    )
    if host not in LOOPBACK_HOSTS:
        typer.echo(
            f"warning: binding {host}: the emulator is reachable beyond this machine, "
            "with test credentials anyone can read from emulator.json",
            err=True,
        )

    def ready(url: str, info: Path) -> None:
        if as_json:
            line = json.dumps(
                {
                    "schema_version": 1,
                    "event": "ready",
                    "url": url,
                    "emulator_json": str(info.resolve()),
                }
            )
        else:
            line = f"emulator ready {url} {info.resolve()}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    try:
        serve(host=host, port=port, data_dir=data_dir, seed=seed, settings=settings, on_ready=ready)
    except DataDirInUse as exc:
        raise UsageError(f"--data-dir {exc}: stop it, or give a folder of its own") from None
    except DataDirUnusable as exc:
        raise UsageError(
            f"--data-dir {exc}: give a folder you can write (or none, to keep state in memory)"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. "
            "Pick another --port (0 picks a free one)."
        ) from None


def _settings(
    port: int,
    seed: str,
    propagation: str,
    removal: str,
    scale: float,
    latency: str,
    auto_approve: bool,
) -> EmulatorSettings:
    from ..emulator import EmulatorSettings
    from ..emulator.seeds import SEEDS

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
