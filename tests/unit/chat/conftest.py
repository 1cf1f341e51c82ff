"""The application layer's tests run on the qasync loop with real services, and no widget."""

from tests.ui.conftest import api, qloop, server

__all__ = ["api", "qloop", "server"]
