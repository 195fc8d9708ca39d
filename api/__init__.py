"""HTTP service and web chat over the assistant: `create_app(settings)` (see api.app)."""
