"""Networking: one aiohttp session factory, proxies, timeouts, status mapping, stream decoders."""
