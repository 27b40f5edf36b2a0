-- One database and one login role per service: each service owns its data and no other can read it.
-- Run once as a superuser, with psql (it uses \gexec, so it is idempotent and can be re-run):
--     psql -h <host> -U postgres -v ON_ERROR_STOP=1 -f infra/postgres/init.sql
-- It also works as /docker-entrypoint-initdb.d/init.sql in the official postgres image.
--
-- Passwords are NOT set here: no secret lives in the repository. Set them out of band, e.g.
--     psql -U postgres -c "ALTER ROLE cdv_engagements PASSWORD '…'"
-- (or \password cdv_engagements), and give each service its URL:
--     CDV_ENGAGEMENTS_DATABASE_URL=postgresql+psycopg://cdv_engagements:…@db:5432/cdv_engagements
-- Tables are created by each service's Alembic migrations at start-up, as the owner of its database.

SELECT format('CREATE ROLE %I LOGIN', name)
FROM unnest(ARRAY['cdv_engagements', 'cdv_indicateurs', 'cdv_participation', 'cdv_notifications',
                  'cdv_gateway']) AS name
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name)
\gexec

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', name, name, 'UTF8')
FROM unnest(ARRAY['cdv_engagements', 'cdv_indicateurs', 'cdv_participation', 'cdv_notifications',
                  'cdv_gateway']) AS name
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = name)
\gexec

-- Only its own role may connect to a service's database (PUBLIC may connect to any database by default).
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', name)
FROM unnest(ARRAY['cdv_engagements', 'cdv_indicateurs', 'cdv_participation', 'cdv_notifications',
                  'cdv_gateway']) AS name
\gexec
