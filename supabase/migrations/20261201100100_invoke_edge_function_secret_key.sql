-- pg_cron calls the functions with a secret key. Supabase's new API keys (sb_secret_…) are not JWTs: they go in the
-- `apikey` header, and the functions check them (verify_jwt = false). invoke_edge_function now reads the Vault secret
-- `secret_key` and sends it as `apikey`; a project that has only the legacy key keeps working through the Vault
-- secret `service_role_key`, sent as before as `Authorization: Bearer`. Neither key is ever written into a cron
-- command (the job runs `select public.invoke_edge_function(name, body, timeout)`), a table, or an error message.

create or replace function public.invoke_edge_function(
  p_name text, p_body jsonb default '{}'::jsonb, p_timeout_ms integer default 30000
) returns bigint
language plpgsql
-- Invoker rights: only the owner (the role pg_cron runs the jobs as) may call it, see the grants below.
security invoker
set search_path = ''
as $$
declare
  project_url text;
  secret_key text;
  legacy_key text;
  auth_headers jsonb;
  request_id bigint;
begin
  if p_name is null or p_name !~ '^[a-z][a-z0-9-]{0,62}$' then
    raise exception 'invoke_edge_function: p_name must be a function name like trade-burst, got %', p_name
      using errcode = 'invalid_parameter_value';
  end if;
  if p_body is null or jsonb_typeof(p_body) <> 'object' then
    raise exception 'invoke_edge_function(%): p_body must be a JSON object, got %', p_name, p_body
      using errcode = 'invalid_parameter_value';
  end if;
  if p_timeout_ms is null or p_timeout_ms < 1000 or p_timeout_ms > 400000 then
    raise exception 'invoke_edge_function(%): p_timeout_ms must be between 1000 and 400000, got %', p_name, p_timeout_ms
      using errcode = 'invalid_parameter_value';
  end if;

  if to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
    raise exception 'invoke_edge_function(%): pg_net is not installed, so this database cannot call edge functions',
      p_name
      using errcode = 'feature_not_supported',
            hint = 'On Supabase: create extension pg_net with schema extensions. Locally dev/schedule runs the jobs.';
  end if;
  if to_regclass('vault.decrypted_secrets') is null then
    raise exception 'invoke_edge_function(%): Vault is not installed, so the project URL and key cannot be read',
      p_name
      using errcode = 'feature_not_supported',
            hint = 'On Supabase Vault is installed already; see docs/DEPLOY.md for the secrets it must hold.';
  end if;

  select s.decrypted_secret into project_url from vault.decrypted_secrets s where s.name = 'project_url';
  if project_url is null or project_url = '' then
    raise exception 'invoke_edge_function(%): Vault has no secret named project_url', p_name
      using errcode = 'no_data_found',
            hint = 'select vault.create_secret(''https://<project-ref>.supabase.co'', ''project_url'');';
  end if;

  select s.decrypted_secret into secret_key from vault.decrypted_secrets s where s.name = 'secret_key';
  if secret_key is not null and secret_key <> '' then
    auth_headers := jsonb_build_object('apikey', secret_key);
  else
    select s.decrypted_secret into legacy_key from vault.decrypted_secrets s where s.name = 'service_role_key';
    if legacy_key is null or legacy_key = '' then
      raise exception 'invoke_edge_function(%): Vault has no secret named secret_key (nor the legacy service_role_key)',
        p_name
        using errcode = 'no_data_found',
              hint = 'select vault.create_secret(''<a secret key, sb_secret_...>'', ''secret_key''); see docs/DEPLOY.md';
    end if;
    auth_headers := jsonb_build_object('Authorization', 'Bearer ' || legacy_key);
  end if;

  select net.http_post(
    url := rtrim(project_url, '/') || '/functions/v1/' || p_name,
    body := p_body,
    headers := jsonb_build_object('Content-Type', 'application/json') || auth_headers,
    timeout_milliseconds := p_timeout_ms
  ) into request_id;
  return request_id;
end;
$$;

comment on function public.invoke_edge_function(text, jsonb, integer) is
  'POSTs p_body to <Vault project_url>/functions/v1/<p_name> through pg_net with the Vault secret_key in apikey '
  '(or, on a legacy-only project, the Vault service_role_key as bearer); returns the pg_net request id. Raises '
  'feature_not_supported without pg_net or Vault.';

-- `create or replace` keeps the grants; stated again so this file alone says who may send requests with the key.
revoke all on function public.invoke_edge_function(text, jsonb, integer) from public, anon, authenticated, service_role;
