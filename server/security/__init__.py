"""Credentials, passwords, the server signing keys and member codes."""
