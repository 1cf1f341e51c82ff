"""Providers: configured instances that stream typed events (never Qt)."""
