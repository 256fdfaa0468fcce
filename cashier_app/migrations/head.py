"""The newest revision under versions/, written down so that a start-up on a current database need not import
Alembic (about 0.3 s) to learn that nothing is to be done. Add a migration: change this line too — the test
`tests/cashier_app/test_core_storage.py::test_recorded_head_is_alembics_head` fails until it matches."""

HEAD_REVISION = "0006"
