-- Calling an edge function from SQL, the way Supabase documents scheduling: pg_net posts to
-- <project_url>/functions/v1/<name>, with the project URL and the invoke key read from Vault at run time (never
-- written here). Without pg_net or Vault (local databases) it raises an error that says what is missing, so a cron
-- run fails loudly in cron.job_run_details instead of doing nothing.

create function public.invoke_edge_function(
  p_name text, p_body jsonb default '{}'::jsonb, p_timeout_ms integer default 30000
) returns bigint
language plpgsql
-- Invoker rights: only the owner (the role pg_cron runs the jobs as) may call it, see the grants below.
security invoker
set search_path = ''
as $$
declare
  project_url text;
  invoke_key text;
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
            hint = 'On Supabase Vault is installed already; see docs/DEPLOY.md for the two secrets it must hold.';
  end if;

  select decrypted_secret into project_url from vault.decrypted_secrets where name = 'project_url';
  select decrypted_secret into invoke_key from vault.decrypted_secrets where name = 'service_role_key';
  if project_url is null or project_url = '' then
    raise exception 'invoke_edge_function(%): Vault has no secret named project_url', p_name
      using errcode = 'no_data_found',
            hint = 'select vault.create_secret(''https://<project-ref>.supabase.co'', ''project_url'');';
  end if;
  if invoke_key is null or invoke_key = '' then
    raise exception 'invoke_edge_function(%): Vault has no secret named service_role_key', p_name
      using errcode = 'no_data_found',
            hint = 'select vault.create_secret(''<service role key>'', ''service_role_key'');';
  end if;

  select net.http_post(
    url := rtrim(project_url, '/') || '/functions/v1/' || p_name,
    body := p_body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || invoke_key),
    timeout_milliseconds := p_timeout_ms
  ) into request_id;
  return request_id;
end;
$$;

comment on function public.invoke_edge_function(text, jsonb, integer) is
  'POSTs p_body to <Vault project_url>/functions/v1/<p_name> with the Vault service_role_key through pg_net; '
  'returns the pg_net request id. Raises feature_not_supported without pg_net or Vault.';

-- Nobody but the owner (pg_cron runs the jobs as the role that scheduled them) may send requests with the key.
revoke all on function public.invoke_edge_function(text, jsonb, integer) from public, anon, authenticated, service_role;

-- The SQL a cron job runs for one function_schedules row. One definition, used by the sync below.
create function public.function_schedule_command(p_kind text, p_name text, p_body jsonb, p_timeout_ms integer)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_kind = 'edge_function' then
    return format('select public.invoke_edge_function(%L, %L::jsonb, %s)', p_name, p_body::text, p_timeout_ms);
  elsif p_kind = 'retention' then
    return 'select public.prune_old_rows()';
  end if;
  raise exception 'function_schedule_command: unknown kind %', p_kind using errcode = 'invalid_parameter_value';
end;
$$;

comment on function public.function_schedule_command(text, text, jsonb, integer) is
  'The cron command for one function_schedules row.';

revoke all on function public.function_schedule_command(text, text, jsonb, integer) from public, anon, authenticated;
grant execute on function public.function_schedule_command(text, text, jsonb, integer) to service_role;

-- Makes cron.job match function_schedules: schedules (or updates) every enabled row, unschedules jobs this project
-- made that are no longer wanted. Without pg_cron it says so and returns 0. Returns how many jobs are scheduled.
create function public.sync_function_schedules() returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  schedule_row record;
  stale_job record;
  scheduled integer := 0;
begin
  if to_regprocedure('cron.schedule(text, text, text)') is null then
    raise notice 'sync_function_schedules: pg_cron is not installed; no cron jobs (the local scheduler reads '
      'public.function_schedules instead)';
    return 0;
  end if;

  for schedule_row in
    select s.name, s.kind, s.cron, s.body, s.timeout_ms from public.function_schedules s where s.enabled order by s.name
  loop
    perform cron.schedule(
      schedule_row.name,
      schedule_row.cron,
      public.function_schedule_command(schedule_row.kind, schedule_row.name, schedule_row.body, schedule_row.timeout_ms)
    );
    scheduled := scheduled + 1;
  end loop;

  -- Only jobs whose command is one of ours: other cron jobs in the project are left alone.
  for stale_job in
    select j.jobid, j.jobname from cron.job j
     where (j.command like 'select public.invoke_edge_function(%' or j.command = 'select public.prune_old_rows()')
       and not exists (select 1 from public.function_schedules s where s.enabled and s.name = j.jobname)
  loop
    perform cron.unschedule(stale_job.jobid);
  end loop;

  return scheduled;
end;
$$;

comment on function public.sync_function_schedules() is
  'Makes the pg_cron jobs match public.function_schedules; returns the number of scheduled jobs.';

revoke all on function public.sync_function_schedules() from public, anon, authenticated;
grant execute on function public.sync_function_schedules() to service_role;

-- Any change to the cadence re-syncs the cron jobs, so the table stays the single source of truth.
create function public.function_schedules_resync() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform public.sync_function_schedules();
  return null;
end;
$$;

comment on function public.function_schedules_resync() is 'Trigger: re-syncs pg_cron after function_schedules changes.';

revoke all on function public.function_schedules_resync() from public, anon, authenticated, service_role;

create trigger function_schedules_resync
  after insert or update or delete or truncate on public.function_schedules
  for each statement execute function public.function_schedules_resync();

select public.sync_function_schedules();
