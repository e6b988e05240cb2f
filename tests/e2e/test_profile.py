"""``sendscope profile add|list|remove``: saved connections in SENDSCOPE_CONFIG_DIR, never a
secret (connect --profile is in test_connect.py, against the emulator)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from .connect_helpers import clean_env, make_certificate, run_cli, run_process

__all__ = ["clean_env"]  # a fixture, imported for pytest

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
APP = "3f2c1d4e-5a6b-4c8d-9e0f-112233445566"
ADMIN = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _saved(config: Path) -> dict[str, object]:
    return dict(json.loads((config / "profiles.json").read_text()))


def test_add_list_remove_round_trip(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, tmp_path: Path
) -> None:
    pem = make_certificate("profile").write_pem(tmp_path / "app.pem")
    added = run_cli(
        monkeypatch,
        [
            "profile",
            "add",
            "contoso-prod",
            "--tenant",
            "Contoso.OnMicrosoft.com",
            "--client-id",
            APP.upper(),
            "--cloud",
            "USGov",
            "--certificate",
            str(pem),
            "--admin-client-id",
            ADMIN,
        ],
    )
    assert added.code == 0, added.output
    assert added.stdout == f"Profile contoso-prod added ({clean_env / 'profiles.json'}).\n"
    assert _saved(clean_env) == {
        "profiles": {
            "contoso-prod": {
                "tenant": "contoso.onmicrosoft.com",
                "client_id": APP,
                "cloud": "usgov",
                "certificate": str(pem.resolve()),
                "admin_client_id": ADMIN,
            }
        }
    }
    assert stat.S_IMODE((clean_env / "profiles.json").stat().st_mode) == 0o600

    listed = run_cli(monkeypatch, ["profile", "list"])
    assert listed.code == 0
    text = listed.stdout
    assert "contoso-prod" in text
    assert f"client ID         {APP}" in text
    assert "cloud             usgov" in text

    removed = run_cli(monkeypatch, ["profile", "remove", "contoso-prod", "--json"])
    assert removed.code == 0
    assert removed.json()["removed"]["name"] == "contoso-prod"
    assert _saved(clean_env) == {"profiles": {}}
    assert "No profiles in" in run_cli(monkeypatch, ["profile", "list"]).stdout


def test_json_documents(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    added = run_cli(monkeypatch, ["profile", "add", "a", "--tenant", TENANT, "--json"])
    assert added.json() == {
        "schema_version": 1,
        "path": str(clean_env / "profiles.json"),
        "added": {
            "name": "a",
            "tenant": TENANT,
            "client_id": None,
            "cloud": None,
            "certificate": None,
            "admin_client_id": None,
            "admin_certificate": None,
        },
    }
    run_cli(monkeypatch, ["profile", "add", "b", "--client-id", APP])
    listed = run_cli(monkeypatch, ["profile", "list", "--json"]).json()
    assert listed["schema_version"] == 1
    assert [p["name"] for p in listed["profiles"]] == ["a", "b"]
    assert listed["profiles"][1]["client_id"] == APP


def test_secrets_are_refused_and_never_echoed(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("sup3r-secret-value-2291")
    for option, value in [
        ("--client-secret-file", str(secret_file)),
        ("--client-secret", "sup3r-secret-value-2291"),
        ("--admin-client-secret-file", str(secret_file)),
    ]:
        outcome = run_cli(monkeypatch, ["profile", "add", "p", "--tenant", TENANT, option, value])
        assert outcome.code == 2, option
        assert _one_line(outcome.stderr).startswith(
            "error: profiles never hold a secret: sendscope does not store secrets anywhere. "
            "Save the profile without it, and give the secret each time with "
            "SENDSCOPE_CLIENT_SECRET, --client-secret-file or the prompt"
        )
        assert "sup3r-secret-value-2291" not in outcome.output
    assert not (clean_env / "profiles.json").exists()


def test_the_secret_options_are_not_advertised(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    help_text = run_cli(monkeypatch, ["profile", "add", "--help"]).stdout
    assert "--tenant" in help_text
    assert "secret" not in help_text


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["bad name!", "--tenant", TENANT], "error: 'bad name!' is not a profile name"),
        (["p", "--tenant", "contoso"], "error: --tenant 'contoso' is not a tenant"),
        (["p", "--client-id", "12345"], "error: --client-id '12345' is not a client ID"),
        (["p", "--admin-client-id", "x"], "error: --admin-client-id 'x' is not a client ID"),
        (
            ["p", "--cloud", "mars"],
            "error: --cloud 'mars' is not a cloud: use one of global, usgov, usgovdod, china",
        ),
        (
            ["p", "--certificate", "/nowhere/app.pem"],
            "error: --certificate /nowhere/app.pem: there is no such file",
        ),
        (["p"], "error: profile 'p' would be empty: give at least one of --tenant"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, args: list[str], sentence: str
) -> None:
    outcome = run_cli(monkeypatch, ["profile", "add", *args])
    assert outcome.code == 2, outcome.output
    assert _one_line(outcome.stderr).startswith(sentence)
    assert not (clean_env / "profiles.json").exists()


def test_an_existing_profile_needs_replace(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    assert run_cli(monkeypatch, ["profile", "add", "p", "--tenant", TENANT]).code == 0
    again = run_cli(monkeypatch, ["profile", "add", "p", "--client-id", APP])
    assert again.code == 2
    assert _one_line(again.stderr) == (
        "error: profile 'p' exists already: pass --replace to overwrite it, or remove it first "
        "(sendscope profile remove p)"
    )
    replaced = run_cli(monkeypatch, ["profile", "add", "p", "--client-id", APP, "--replace"])
    assert replaced.code == 0
    assert _saved(clean_env) == {"profiles": {"p": {"client_id": APP}}}


def test_removing_an_unknown_profile(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    run_cli(monkeypatch, ["profile", "add", "p", "--tenant", TENANT])
    outcome = run_cli(monkeypatch, ["profile", "remove", "q"])
    assert outcome.code == 2
    assert _one_line(outcome.stderr) == "error: profile 'q' does not exist (profiles: p)"


def test_a_corrupt_profiles_file_is_named(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    clean_env.mkdir(parents=True)
    (clean_env / "profiles.json").write_text("{not json")
    outcome = run_cli(monkeypatch, ["profile", "list"])
    assert outcome.code == 2
    assert _one_line(outcome.stderr).startswith(
        f"error: cannot read profiles from {clean_env / 'profiles.json'} (JSONDecodeError"
    )
    assert "Fix or delete the file." in _one_line(outcome.stderr)


def test_profile_commands_in_a_real_process(tmp_path: Path) -> None:
    env = {"SENDSCOPE_CONFIG_DIR": str(tmp_path)}
    added = run_process(["profile", "add", "p", "--tenant", TENANT, "--client-id", APP], env)
    assert added.code == 0, added.stderr
    listed = run_process(["profile", "list", "--json"], env)
    assert [p["tenant"] for p in listed.json()["profiles"]] == [TENANT]
    refused = run_process(["profile", "add", "q", "--client-secret", "abc-123-zz"], env)
    assert refused.code == 2
    assert refused.stderr.startswith("error: profiles never hold a secret")
    assert "abc-123-zz" not in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
