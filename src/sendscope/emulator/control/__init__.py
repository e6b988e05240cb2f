"""The control slice of the emulator."""
