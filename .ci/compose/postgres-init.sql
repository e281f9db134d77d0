-- Run once by the postgres image on an empty data directory (docker-compose.yml).
-- POSTGRES_USER (marketplace) owns the database and runs the migrations; the app logs in as
-- marketplace_app, which row-level security holds to one tenant per transaction (docs/tenancy.md).
CREATE ROLE marketplace_app LOGIN PASSWORD 'marketplace_app' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
