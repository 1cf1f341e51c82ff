"""Parley's pure core: messages, stream events, errors and ports. No Qt, no aiohttp."""
