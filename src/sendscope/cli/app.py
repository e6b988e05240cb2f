"""The root ``sendscope`` command: one typer app, one module per command group."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from .. import __version__
from ..errors import SendscopeError

if TYPE_CHECKING:
    from rich.console import Console
from . import audit, connect, emulator, login, policies, profile, restrict, send, test_policy
from .demo import demo as demo_command
from .pipes import PIPE_CLOSED, stop_writing
from .verify import verify as verify_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="sendscope",
    help="Lock down Microsoft 365 apps that can send mail as anyone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help pulls in rich.markdown and friends, doubling the
    # time `sendscope send --help` takes (bench/cli_startup).
    rich_markup_mode=None,
)
app.command("connect")(connect.connect)
app.command("send")(send.send)
app.command("restrict")(restrict.restrict)
app.command("test-policy")(test_policy.test_policy)
app.command("verify")(verify_command)
app.command("audit")(audit.audit)
app.add_typer(policies.app, name="policies")
app.command("login")(login.login)
app.command("logout")(login.logout)
app.add_typer(profile.app, name="profile")
app.add_typer(emulator.app, name="emulator")
app.command("demo")(demo_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sendscope {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """sendscope: restrict, test and prove which mailboxes an app can send as."""


def main() -> None:
    """Console entry point: expected failures become one sentence and their exit code."""
    try:
        # Outside standalone mode click returns the code of an Exit instead of exiting — and
        # Ctrl-C arrives that way too, as 130.
        code = app(standalone_mode=False)
    except SendscopeError as exc:
        from rich.markup import escape  # messages quote Microsoft, e.g. "[RAOP]"

        _stderr().print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        sys.exit(exc.exit_code)
    except (typer.Exit, SystemExit) as exc:
        code = exc.exit_code if isinstance(exc, typer.Exit) else exc.code
        if _pipe_closed():
            stop_writing()
            sys.exit(PIPE_CLOSED)
        sys.exit(code)
    except typer.Abort:
        _stderr().print("aborted")
        sys.exit(_INTERRUPTED)
    except Exception as exc:
        # typer ships its own copy of click: usage errors come as its ClickException.
        from typer._click.exceptions import ClickException

        if isinstance(exc, ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(code, int) and code:
        if code == _INTERRUPTED:
            _stderr().print("aborted")
        sys.exit(code)


_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def _pipe_closed() -> bool:
    """Whether the reader of standard output left (`| head`): click then wraps stdout and
    exits 1, which here means "a bug". sendscope stops quietly instead, with 141, as a
    command stopped by SIGPIPE does."""
    from typer._click.utils import PacifyFlushWrapper

    return isinstance(sys.stdout, PacifyFlushWrapper)


def _stderr() -> Console:
    from rich.console import Console  # only when there is something to say: fast startup

    return Console(stderr=True)
