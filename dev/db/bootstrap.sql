-- What a hosted Supabase project already has before our migrations run, recreated for a local cluster.
-- Local runs only: never copy this into supabase/migrations (on hosted Supabase these objects exist and belong to
-- supabase_admin). Idempotent, so running it twice is harmless. Modelled on supabase/postgres
-- migrations/db/init-scripts (00000000000000-initial-schema.sql, 00000000000001-auth-schema.sql) and GoTrue's
-- auth helper functions.

set client_min_messages = warning;

-- API roles. PostgREST logs in as authenticator and switches to the role named in the JWT.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    -- The stack sets the password afterwards with ALTER ROLE.
    create role authenticator login noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- Same short statement timeouts Supabase gives the API roles.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

-- Extension namespace.
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;

-- auth schema with the helpers RLS policies use. They read the claims PostgREST puts in request.jwt.claims (and the
-- older per-claim settings), exactly like Supabase's own definitions.
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role() to anon, authenticated, service_role;

-- The public schema as Supabase sets it up: the API roles may use it, and everything created in it (by postgres, the
-- role migrations run as) is granted to all of them by default. Table privileges are therefore wide open and row
-- level security is what protects data; the migrations revoke what they do not want on top of that, as they must on
-- a hosted project too.
grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
