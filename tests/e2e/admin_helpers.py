"""Running the admin commands (login, logout, test-policy, policies) as a user would.

``run_admin`` runs the real entry point (``sendscope.cli.app.main``) in-process on a root
app holding these commands; ``run_admin_process`` runs ``python -m sendscope`` in a fresh
interpreter. Both start from a clean SENDSCOPE_* environment.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Mapping

import pytest
import typer
from click.testing import CliRunner

from sendscope.cli import login, policies, test_policy

from .connect_helpers import Outcome

__all__ = ["admin_app", "run_admin", "run_admin_process"]


def admin_app() -> typer.Typer:
    """The root app with the admin commands wired as cli/app.py will wire them."""
    app = typer.Typer(
        name="sendscope", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )

    @app.callback()
    def root() -> None:
        """sendscope (test root)."""

    app.command("test-policy")(test_policy.test_policy)
    app.command("login")(login.login)
    app.command("logout")(login.logout)
    app.add_typer(policies.app, name="policies")
    return app


def run_admin(
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> Outcome:
    """``sendscope ARGS`` through the real ``main`` (exit codes from exceptions), in-process."""
    for name in list(os.environ):
        if name.startswith("SENDSCOPE_") and name not in (env or {}):
            monkeypatch.delenv(name)
    cli_app = importlib.import_module("sendscope.cli.app")
    monkeypatch.setattr(cli_app, "app", admin_app())
    monkeypatch.setattr(sys, "argv", ["sendscope", *args])
    with CliRunner().isolation(input=stdin, env={"COLUMNS": "200", **(env or {})}) as (out, err, _):
        try:
            cli_app.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode())


def run_admin_process(args: list[str], env: Mapping[str, str] | None = None) -> Outcome:
    """``sendscope ARGS`` in a fresh interpreter, with a clean SENDSCOPE_* environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENDSCOPE_")}
    done = subprocess.run(
        [sys.executable, "-m", "sendscope", *args],
        env={**base, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)
