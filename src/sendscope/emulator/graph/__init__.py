"""The Graph slice of the emulator."""
