"""Parley's pure core: messages, stream events, errors, ports, preferences and provider kinds.
No Qt, no aiohttp."""
