"""Serving the emulator over HTTPS: ``serve`` for the CLI, ``ThreadedEmulator`` for tests.

Both bind the socket first (so ``--port 0`` yields a real port before anything starts),
make a server certificate from the data directory's local CA, and write
``emulator.json`` (mode 0600) once the server accepts connections.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .core.state import EmulatorSettings, EmulatorState
from .core.tls import ensure_certificates
from .seeds import seed_state
from .seeds.fixtures import credentials_json, load_credentials

__all__ = [
    "LOOPBACK_HOSTS",
    "DataDirInUse",
    "DataDirUnusable",
    "ServerInfo",
    "ThreadedEmulator",
    "build_info",
    "serve",
    "uvicorn_config",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ServerInfo = dict[str, Any]


def build_info(state: EmulatorState, url: str, ca_cert: Path) -> ServerInfo:
    """The content of emulator.json: where the emulator is and its test credentials."""
    tenants = [
        credentials_json(t["id"], t["domain"], load_credentials(state, t["id"]))
        for t in state.store.all("SELECT id, domain FROM tenants ORDER BY created, rowid")
    ]
    return {"url": url, "ca_cert": str(ca_cert.resolve()), "tenants": tenants}


def write_info(path: Path, info: ServerInfo) -> None:
    """Write emulator.json atomically with mode 0600: it holds test credentials."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=2)
    tmp.replace(path)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"https://{shown}:{port}"


class _Server(uvicorn.Server):
    """uvicorn's server, telling us when it is ready."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A graceful stop on SIGINT/SIGTERM is a clean exit (status 0): uvicorn would
        # re-raise the signal after shutting down.
        super().handle_exit(sig, frame)
        self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_ready()


def _config(state: EmulatorState, cert_dir: Path, host: str) -> uvicorn.Config:
    return uvicorn_config(create_app(state), cert_dir, host)


def uvicorn_config(app: Any, cert_dir: Path, host: str) -> uvicorn.Config:
    """The server stack the emulator runs on (the benchmark serves its baseline on it too)."""
    certs = ensure_certificates(cert_dir, [host])
    return uvicorn.Config(
        app,
        ssl_certfile=str(certs.cert_file),
        ssl_keyfile=str(certs.key_file),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )


def serve(
    *,
    host: str,
    port: int,
    data_dir: Path | None,
    seed: str,
    settings: EmulatorSettings,
    on_ready: Callable[[str, Path], None],
) -> None:
    """Run until SIGINT or SIGTERM; call ``on_ready(url, emulator.json path)`` once up.

    Raises ``DataDirUnusable`` when ``data_dir`` cannot be made a folder, ``DataDirInUse`` when
    another running emulator holds it (two would share one database and overwrite each
    other's emulator.json), ``OSError`` when the port cannot be had.
    """
    work_dir = data_dir if data_dir is not None else Path(tempfile.mkdtemp(prefix="sendscope-emu-"))
    lock = _hold(work_dir)
    state = EmulatorState.create(data_dir, settings)
    try:
        seed_state(state, seed)
        # Everything so far (modules, the seeded tenant) lives as long as the server: keep the
        # cyclic garbage collector from scanning it again on every collection under load.
        gc.collect()
        gc.freeze()
        sock = _bind(host, port)
        url = _url(host, sock.getsockname()[1])
        config = _config(state, work_dir, host)
        info_path = work_dir / "emulator.json"

        def ready() -> None:
            write_info(info_path, build_info(state, url, work_dir / "ca.pem"))
            on_ready(url, info_path)

        _Server(config, ready).run(sockets=[sock])
    finally:
        state.close()
        lock.close()
        if data_dir is None:
            shutil.rmtree(work_dir, ignore_errors=True)


class DataDirUnusable(Exception):
    """The data folder cannot be used: not a folder, or not writable."""


class DataDirInUse(DataDirUnusable):
    """Another running emulator holds the data folder."""


def _hold(work_dir: Path) -> _Lock:
    """Make ``work_dir`` and hold its lock file for the life of the server: an advisory
    ``flock``, released with the process. Where locks are not to be had (no ``fcntl``, as on
    Windows, or a file system without them) the folder is used unlocked, as before."""
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(work_dir / ".lock", os.O_RDONLY | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DataDirUnusable(f"{work_dir}: {exc.strerror or exc}") from None
    lock = _Lock(descriptor)
    try:
        import fcntl
    except ImportError:
        return lock
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # EWOULDBLOCK: another process holds it
        lock.close()
        raise DataDirInUse(f"{work_dir} is in use by another running emulator") from None
    except OSError:
        pass  # no locks on this file system
    return lock


class _Lock:
    def __init__(self, descriptor: int) -> None:
        self._descriptor: int | None = descriptor

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


class ThreadedEmulator:
    """The emulator on a real HTTPS socket in a background thread, for tests and the demo.

    ``with ThreadedEmulator(seed="demo") as emu: emu.url, emu.ca_cert, emu.info, emu.state``
    """

    def __init__(
        self,
        *,
        seed: str = "demo",
        data_dir: Path | None = None,
        settings: EmulatorSettings | None = None,
        state: EmulatorState | None = None,
    ) -> None:
        self._temp = None if data_dir is not None else tempfile.mkdtemp(prefix="sendscope-emu-")
        self.data_dir = data_dir if data_dir is not None else Path(self._temp or "")
        self.state = state or EmulatorState.create(data_dir, settings or EmulatorSettings())
        seed_state(self.state, seed)
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._server: _Server | None = None
        self.url = ""
        self.info: ServerInfo = {}

    @property
    def ca_cert(self) -> Path:
        return (self.data_dir / "ca.pem").resolve()

    @property
    def info_path(self) -> Path:
        return self.data_dir / "emulator.json"

    def __enter__(self) -> ThreadedEmulator:
        sock = _bind("127.0.0.1", 0)
        self.url = _url("127.0.0.1", sock.getsockname()[1])
        self._server = _Server(_config(self.state, self.data_dir, "127.0.0.1"), self._ready.set)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])),  # type: ignore[union-attr]
            name="sendscope-emulator",
            daemon=True,
        )
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the emulator did not start within 30 s")
        self.info = build_info(self.state, self.url, self.ca_cert)
        write_info(self.info_path, self.info)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.state.close()
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
