"""``sendscope emulator serve`` as a user runs it: a real process, a real HTTPS socket."""

from __future__ import annotations

import errno
import json
import signal
import socket
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

pytestmark = pytest.mark.server

CMD = [sys.executable, "-m", "sendscope", "emulator", "serve"]


@contextmanager
def running(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    proc = subprocess.Popen(
        [*CMD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("emulator ready https://127.0.0.1:"), (
            proc.stderr.read() if proc.stderr else line
        )
        yield proc, line.split()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def refused(*args: str) -> subprocess.CompletedProcess[str]:
    """``emulator serve ARGS`` expected to stop at once (bad input): its exit and output."""
    return subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=30)


def test_serve_writes_emulator_json_and_stops_cleanly(tmp_path: Path) -> None:
    with running("--port", "0", "--data-dir", str(tmp_path)) as (proc, words):
        url, info_path = words[2], Path(words[3])
        assert info_path == (tmp_path / "emulator.json").resolve()
        assert stat.S_IMODE(info_path.stat().st_mode) == 0o600
        info = json.loads(info_path.read_text())
        assert info["url"] == url
        assert Path(info["ca_cert"]).is_absolute()
        tenant = info["tenants"][0]
        assert tenant["domain"] == "contoso.onmicrosoft.com"
        assert tenant["apps"][0]["name"] == "Timesheet Mailer"
        assert tenant["apps"][0]["roles"] == ["Mail.Send"]
        assert set(tenant["admin"]) == {"client_id", "client_secret"}
        # The server speaks TLS with a certificate from the data directory's CA.
        with httpx2.Client(verify=ssl.create_default_context(cafile=info["ca_cert"])) as http:
            assert http.get(f"{url}/v1.0/users").status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_restart_keeps_tenant_and_credentials(tmp_path: Path) -> None:
    with running("--port", "0", "--data-dir", str(tmp_path)):
        first = json.loads((tmp_path / "emulator.json").read_text())["tenants"]
    with running("--port", "0", "--data-dir", str(tmp_path)):
        second = json.loads((tmp_path / "emulator.json").read_text())["tenants"]
    assert first == second


def test_sigint_stops_it_too(tmp_path: Path) -> None:
    with running("--port", "0") as (proc, words):
        info_dir = Path(words[3]).parent
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    assert not info_dir.exists()  # without --data-dir, the temporary directory goes


def test_json_ready_line() -> None:
    proc = subprocess.Popen(
        [*CMD, "--port", "0", "--json", "--seed", "empty"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["event"] == "ready" and ready["schema_version"] == 1
        info = json.loads(Path(ready["emulator_json"]).read_text())
        assert info["tenants"][0]["apps"] == []
        assert info["tenants"][0]["admin"]["client_id"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        assert proc.stdout is not None
        proc.stdout.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port 70000 is not a port"),
        (["--seed", "big"], "--seed 'big' is not a seed: use demo or empty"),
        (["--propagation-delay", "soon"], "--propagation-delay: 'soon' is not a duration"),
        (["--latency", "5"], "--latency: '5' is not a duration"),
        (["--time-scale", "0"], "--time-scale 0.0 must be greater than 0"),
    ],
)
def test_bad_input_exits_2_with_a_sentence(args: list[str], message: str, tmp_path: Path) -> None:
    done = refused("--data-dir", str(tmp_path), *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "state.db").exists()  # nothing written


def test_port_in_use_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = refused("--port", str(port))
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_data_dir_another_emulator_holds_is_refused(tmp_path: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    with (tmp_path / ".lock").open("ab") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running emulator does
        done = refused("--port", "0", "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert " ".join(done.stderr.split()) == (
        f"error: --data-dir {tmp_path} is in use by another running emulator: stop it, or give "
        "a folder of its own"
    )
    assert not (tmp_path / "emulator.json").exists()
    assert not (tmp_path / "state.db").exists()


def test_a_data_dir_that_is_a_file_is_named_not_the_port(tmp_path: Path) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    done = refused("--port", "0", "--data-dir", str(afile))
    assert done.returncode == 2
    assert f"error: --data-dir {afile}: File exists" in " ".join(done.stderr.split())
    assert "--port" not in done.stderr
    assert afile.read_text() == "mine"


def test_a_second_emulator_on_a_served_data_dir_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("fcntl")
    with running("--port", "0", "--data-dir", str(tmp_path)) as (_, words):
        info = (tmp_path / "emulator.json").read_text()
        done = refused("--port", "0", "--data-dir", str(tmp_path))
        assert done.returncode == 2
        assert "is in use by another running emulator" in done.stderr
        assert (tmp_path / "emulator.json").read_text() == info  # the first one's, untouched
        assert words[2] in info


def test_the_lock_is_taken_through_a_read_only_lock_file(tmp_path: Path) -> None:
    (tmp_path / ".lock").touch(mode=0o400)
    with running("--port", "0", "--data-dir", str(tmp_path)) as (_, words):
        assert words[0] == "emulator"


def test_a_file_system_without_locks_serves_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fcntl = pytest.importorskip("fcntl")
    from sendscope.emulator import server

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    lock = server._hold(tmp_path)  # no DataDirInUse: used unlocked, as before
    lock.close()
