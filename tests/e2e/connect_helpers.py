"""Running ``sendscope connect`` and ``sendscope profile`` as a user would, and the
certificates they sign in with.

``run_cli`` runs the real entry point (``sendscope.cli.app.main``: exceptions → sentence and
exit code) in-process, on a root app holding the two command groups. ``run_process`` runs
``python -m sendscope`` in a subprocess, so the real interpreter start-up, stdout and stderr
are exercised.

Certificates come from tests/unit/cert_helpers.py (re-exported here).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import typer
from click.testing import CliRunner

from sendscope.auth.app_tokens import AccessToken, AppTokenSource
from sendscope.cli import connect, profile
from sendscope.emulator import EmulatorState
from sendscope.emulator.server import ThreadedEmulator
from tests.cert_helpers import Certificate, make_certificate, register_certificate

__all__ = ["Certificate", "make_certificate", "register_certificate"]


@dataclass(frozen=True)
class Outcome:
    """What a run printed and its exit code."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass(frozen=True)
class Emulator:
    """A running emulator and what emulator.json says about its first tenant."""

    server: ThreadedEmulator
    tenant_id: str
    domain: str
    app: dict[str, Any]  # Timesheet Mailer: name, client_id, client_secret, roles
    admin: dict[str, Any]

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir

    @property
    def state(self) -> EmulatorState:
        return self.server.state

    @property
    def secrets(self) -> list[str]:
        """Every secret in emulator.json: none may ever be printed."""
        return [
            str(app["client_secret"])
            for tenant in self.server.info["tenants"]
            for app in [*tenant["apps"], tenant["admin"]]
        ]


def start_emulator() -> Iterator[Emulator]:
    """A demo-tenant emulator for a test module (use as a module-scoped fixture body)."""
    with ThreadedEmulator(seed="demo") as server:
        tenant = server.info["tenants"][0]
        yield Emulator(server, tenant["id"], tenant["domain"], tenant["apps"][0], tenant["admin"])


# -- running the CLI ---------------------------------------------------------------------


def local_app() -> typer.Typer:
    """The root app with connect and profile wired as cli/app.py will wire them."""
    app = typer.Typer(
        name="sendscope", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )

    @app.callback()
    def root() -> None:
        """sendscope (test root)."""

    app.command("connect")(connect.connect)
    app.add_typer(profile.app, name="profile")
    return app


def run_cli(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: Mapping[str, str | None] | None = None
) -> Outcome:
    """``sendscope ARGS`` through the real ``main`` (exit codes from exceptions), in-process."""
    cli_app = importlib.import_module("sendscope.cli.app")
    monkeypatch.setattr(cli_app, "app", local_app())
    monkeypatch.setattr(sys, "argv", ["sendscope", *args])
    with CliRunner().isolation(env={"COLUMNS": "200", **(env or {})}) as (out, err, _):
        try:
            cli_app.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode())


def run_process(args: list[str], env: Mapping[str, str] | None = None) -> Outcome:
    """``sendscope ARGS`` in a fresh interpreter, with a clean SENDSCOPE_* environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENDSCOPE_")}
    done = subprocess.run(
        [sys.executable, "-m", "sendscope", *args],
        env={**base, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No SENDSCOPE_* variable from the developer's shell; profiles in a temporary dir."""
    for name in list(os.environ):
        if name.startswith("SENDSCOPE_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    monkeypatch.setenv("SENDSCOPE_CONFIG_DIR", str(config))
    return config


@dataclass
class Network:
    """Every real HTTP request the code under test tried to make."""

    attempts: list[str]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Network:
    """Fail any real HTTP request (and remember it): input errors must stop before one."""
    network = Network([])

    def refuse(self: httpx2.HTTPTransport, request: httpx2.Request) -> httpx2.Response:
        network.attempts.append(str(request.url))
        raise AssertionError(f"no HTTP request may be made, but {request.url} was")

    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", refuse)
    return network


@dataclass
class TokenSpy:
    """The access tokens issued during a test: none may be printed."""

    tokens: list[AccessToken]

    @property
    def values(self) -> list[str]:
        return [t.value for t in self.tokens]


@pytest.fixture
def token_spy(monkeypatch: pytest.MonkeyPatch) -> TokenSpy:
    spy = TokenSpy([])
    real = AppTokenSource.token

    def token(self: AppTokenSource, scope: str, *, force_refresh: bool = False) -> AccessToken:
        issued = real(self, scope, force_refresh=force_refresh)
        spy.tokens.append(issued)
        return issued

    monkeypatch.setattr(AppTokenSource, "token", token)
    return spy


def assert_no_secret(text: str, secrets: list[str]) -> None:
    """No secret value, and nothing shaped like a JWT (every token starts ``eyJ``)."""
    for secret in secrets:
        assert secret not in text, "a secret was printed"
    assert "eyJ" not in text, "something shaped like a token was printed"
