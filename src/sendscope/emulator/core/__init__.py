"""Core of the emulator: state, store, clock, tokens, TLS, the shared directory."""
