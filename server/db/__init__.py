"""Database layer of the central server: tables, engine set-up, the SQL repository, the unit of work."""
