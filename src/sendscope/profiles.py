"""Named profiles: tenant, client IDs, cloud and certificate paths — never a secret.

Saved as JSON in the user config directory (``sendscope profile add``), mode 0600, or in
``$SENDSCOPE_CONFIG_DIR`` when it is set.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .errors import UsageError
from .files import write_atomically

__all__ = ["Profile", "ProfileStore", "check_profile_name"]

_SECRET_WORDS = ("secret", "password", "token")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Profile:
    """A saved connection: which tenant, apps, cloud and certificates (never a secret)."""

    name: str
    tenant: str | None = None
    client_id: str | None = None
    cloud: str | None = None
    certificate: str | None = None
    admin_client_id: str | None = None
    admin_certificate: str | None = None

    def values(self) -> dict[str, str]:
        """The fields that are set, without the name."""
        return {k: v for k, v in asdict(self).items() if k != "name" and v}


def check_profile_name(name: str) -> str:
    if _NAME.match(name):
        return name
    raise UsageError(
        f"{name!r} is not a profile name: use up to 64 letters, digits, dots, dashes and "
        "underscores, starting with a letter or digit (e.g. contoso-prod)"
    )


class ProfileStore:
    """Profiles in ``<user config dir>/sendscope/profiles.json`` (or ``path``)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or _config_dir() / "profiles.json"

    def all(self) -> dict[str, Profile]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            saved = raw.get("profiles", {}) if isinstance(raw, dict) else None
            if not isinstance(saved, dict):
                raise ValueError('not {"profiles": {name: {...}}}')
            return {name: _profile(name, values) for name, values in saved.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UsageError(
                f"cannot read profiles from {self.path} ({type(exc).__name__}: {exc}). Fix or "
                "delete the file."
            ) from None

    def get(self, name: str) -> Profile:
        profiles = self.all()
        if name not in profiles:
            choices = ", ".join(sorted(profiles)) or "none yet (sendscope profile add)"
            raise UsageError(f"--profile {name!r} does not exist: profiles are {choices}")
        return profiles[name]

    def save(self, profile: Profile) -> None:
        profiles = self.all()
        profiles[profile.name] = profile
        self._write(profiles)

    def remove(self, name: str) -> None:
        profiles = self.all()
        if profiles.pop(name, None) is None:
            raise UsageError(f"profile {name!r} does not exist")
        self._write(profiles)

    def _write(self, profiles: dict[str, Profile]) -> None:
        body = {"profiles": {n: p.values() for n, p in sorted(profiles.items())}}
        assert not any(
            w in key for p in body["profiles"].values() for key in p for w in _SECRET_WORDS
        ), "profiles never hold secrets"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps(body, indent=2))
        except OSError as exc:
            raise UsageError(
                f"cannot save profiles to {self.path} ({exc.strerror or exc}): set "
                "SENDSCOPE_CONFIG_DIR to a folder you can write"
            ) from None


def _config_dir() -> Path:
    env = os.environ.get("SENDSCOPE_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs  # only when no directory is given: fast startup

    return Path(platformdirs.user_config_dir("sendscope"))


def _profile(name: str, values: dict[str, Any]) -> Profile:
    known = {f.name for f in fields(Profile)} - {"name"}
    return Profile(name, **{k: str(v) for k, v in values.items() if k in known and v})
