"""Server services: ingest (the one path every event takes), administration, reports, schedules."""
