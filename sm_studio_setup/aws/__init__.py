"""AWS I/O: everything that talks to AWS (or the emulator standing in for it) lives here."""
