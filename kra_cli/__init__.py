"""The `kra` command: up, demo, diagnose, simulator; the local process supervisor."""
