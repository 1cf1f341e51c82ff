"""Widgets. They talk to `chat` controllers and `core` types, never to providers, net or storage."""
