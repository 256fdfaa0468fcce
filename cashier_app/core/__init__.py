"""The cashier app's core: local database, outbox, checkout service, sync client, reports. No Qt here."""
