"""Controllers between the widgets and the providers: QObjects that own the asyncio tasks (QtCore only)."""
