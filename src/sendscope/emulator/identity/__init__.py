"""The identity slice of the emulator."""
