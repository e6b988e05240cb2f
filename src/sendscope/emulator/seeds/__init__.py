"""Tenants the emulator starts with: ``demo`` and ``empty``, and fixtures in JSON."""

from .fixtures import FixtureError, SeedCredential, apply_fixture
from .tenants import SEEDS, seed_state

__all__ = ["SEEDS", "FixtureError", "SeedCredential", "apply_fixture", "seed_state"]
