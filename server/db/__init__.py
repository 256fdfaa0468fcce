"""Database layer of the central server: tables, engine set-up, the configuration read (settings.py), the engine's
repository, the running totals, the replay read model, and the unit of work."""
