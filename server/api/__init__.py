"""HTTP API v1: routers composed by `server.app.create_app`."""
