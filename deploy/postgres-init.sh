#!/bin/sh
# Run once by the postgres image on an empty volume (deploy/compose.yml): the servers'
# own role `amo`, not a superuser, owner of the `amo` database. Its password comes
# from the container's environment (AMO_PG_PASSWORD), never from this file.
set -eu
psql -v ON_ERROR_STOP=1 -v password="$AMO_PG_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE amo LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
ALTER DATABASE amo OWNER TO amo;
ALTER SCHEMA public OWNER TO amo;
SQL
