"""Persistence: the SQLite conversation history (history.py, migrations.py, export.py), typed
settings and the OS keychain. Imports only core (and QtCore for QSettings)."""
