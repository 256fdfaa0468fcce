#!/usr/bin/env bash
# PostgreSQL (15 or newer) for the Paidui server: a login role and a database it owns. Run as root on the database
# machine; prints the connection string for /etc/paidui/paidui.env. Idempotent: an existing role gets the new
# password, an existing database is kept.
#
#   sudo PAIDUI_DB_PASSWORD='...' bash deploy/postgresql-setup.sh            # default names: role and db "paidui"
#   sudo PAIDUI_DB_PASSWORD='...' PAIDUI_DB_NAME=paidui_test bash deploy/postgresql-setup.sh
#
# Then, as the paidui user: paidui-server --config /etc/paidui/paidui.toml init   (creates the tables, the HQ admin)
set -euo pipefail

ROLE="${PAIDUI_DB_ROLE:-paidui}"
DB="${PAIDUI_DB_NAME:-paidui}"
HOST="${PAIDUI_DB_HOST:-127.0.0.1}"
PORT="${PAIDUI_DB_PORT:-5432}"
PASSWORD="${PAIDUI_DB_PASSWORD:-}"
if [[ -z "$PASSWORD" ]]; then
    PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    echo "no PAIDUI_DB_PASSWORD given: generated one (shown once, below)" >&2
fi
# How to reach PostgreSQL as a superuser; e.g. PSQL="psql -h 127.0.0.1 -U postgres" where sudo is not used.
PSQL="${PSQL:-sudo -u postgres psql}"
psql_su() { $PSQL -v ON_ERROR_STOP=1 -X -q "$@"; }

# The password travels as a psql variable (:'pw' quotes it as a literal), never inside the SQL text.
psql_su -v role="$ROLE" -v pw="$PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE', :'role', :'pw')
\gexec
SQL
psql_su -v role="$ROLE" -v db="$DB" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', :'db', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
SQL
# The owner creates its tables in the public schema (PostgreSQL 15 no longer lets every role do so).
psql_su -d "$DB" -v role="$ROLE" <<'SQL'
SELECT format('ALTER SCHEMA public OWNER TO %I', :'role')
\gexec
SQL

# A password may hold characters that mean something in a URL: percent-encode it there.
URL_PASSWORD="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PASSWORD")"

cat <<EOF2
PostgreSQL is ready. Put this line in /etc/paidui/paidui.env (mode 0600):

PAIDUI_DATABASE_URL=postgresql://${ROLE}:${URL_PASSWORD}@${HOST}:${PORT}/${DB}

Notes:
- pg_hba.conf: the server connects over TCP to ${HOST}; "host ${DB} ${ROLE} 127.0.0.1/32 scram-sha-256" allows it.
- Connections: each worker keeps up to 2 x pool_size connections (pool_size 5 -> 10); 4 workers -> 40, well under
  the default max_connections = 100. Raise max_connections before raising workers x pool_size past it.
- Back up with pg_dump (\`paidui-server backup FILE\` prints the command) or base backups with WAL archiving,
  and back up /var/lib/paidui/signing-keys.json separately.
EOF2
