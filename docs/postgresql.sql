-- postgresql.sql - the database and roles of a pam_otp store on PostgreSQL.
--
-- Run it once with psql as a superuser (it sets the owner role's default
-- privileges and grants on its tables), on the primary:
--
--   sudo -u postgres psql -X < postgresql.sql
--
-- It makes, when missing:
--   pam_otp_owner  owns the database and, once "otpctl init" has run with
--                  it, the schema pam_otp and its tables. Used only to
--                  create and upgrade the schema (otpctl init).
--   pam_otp        the role every host logs in with (pam_otp.so, otpctl):
--                  SELECT, INSERT, UPDATE, DELETE on the tables and the
--                  audit sequence; no DDL, no TRUNCATE, no temporary tables.
--   otp            the database, which only these two may connect to.
-- Other names: psql -v db=NAME -v owner=NAME -v login=NAME.
--
-- It can run before or after "otpctl init": default privileges give the
-- login role its rights on every table and sequence the owner creates
-- (also those of a later schema upgrade), and when the schema already
-- exists the grants are made on it directly. Running it again changes
-- nothing.
--
-- No password is set here: a password in a statement travels in clear
-- and may land in the server's log. Set them with psql's \password, which
-- sends only a SCRAM verifier:
--   sudo -u postgres psql -c '\password pam_otp_owner'
--   sudo -u postgres psql -c '\password pam_otp'
-- or give none and authenticate with client certificates ("cert" in
-- pg_hba.conf; the certificate's CN is the role name).

\set ON_ERROR_STOP on
\if :{?db}
\else
\set db otp
\endif
\if :{?owner}
\else
\set owner pam_otp_owner
\endif
\if :{?login}
\else
\set login pam_otp
\endif

-- Roles: plain login roles, no superuser, no CREATEDB, no CREATEROLE.
SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'login')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'login') \gexec

-- A login that hangs inside a transaction (a stopped process, a network
-- that went silent) would keep its user's lock: the server ends such a
-- session after a minute. pam_otp's transactions last milliseconds.
ALTER ROLE :"login" SET idle_in_transaction_session_timeout = '60s';

-- The database, owned by the owner role so that otpctl init may create
-- the schema in it.
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0',
	      :'db', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec

-- Nobody else connects or makes temporary tables; the login role connects.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"owner", :"login";

\connect :"db"

-- PostgreSQL 14 and older let every role create tables in schema public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- What the owner creates later (otpctl init, schema upgrades).
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner"
  GRANT USAGE ON SCHEMAS TO :"login";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner"
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"login";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner"
  GRANT USAGE, SELECT ON SEQUENCES TO :"login";

-- What otpctl init has already created, if it has run.
SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'pam_otp') AS schema_exists \gset
\if :schema_exists
GRANT USAGE ON SCHEMA pam_otp TO :"login";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pam_otp TO :"login";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA pam_otp TO :"login";
\endif
