-- Regional invocation from SQL. Supabase runs a function near its caller unless told otherwise, and pg_cron calls
-- come from the database's region; `?forceFunctionRegion=<region>` (the query-parameter form of the `x-region`
-- header, for callers such as pg_net) pins it. invoke_edge_function gains a p_region argument; the 3-argument form
-- stays and means "no region" (today's behaviour). function_schedules rows can fan out: latency-sample per venue per
-- candidate region, trade-burst per venue in the venue's home region. The fan-out is computed at run time by
-- function_schedule_invocations (so the cron command names only the schedule, never a key or URL), and the local
-- scheduler asks the same function, so the two cannot drift apart.

create function public.invoke_edge_function(
  p_name text, p_body jsonb, p_timeout_ms integer, p_region text
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

  -- Null means "wherever the platform routes it" (today's behaviour); a region name pins the call there.
  if p_region is not null and not public.region_name_is_valid(p_region) then
    raise exception 'invoke_edge_function(%): p_region must be a region name like ap-northeast-1, got %', p_name, p_region
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
    -- pg_net cannot rely on custom headers reaching the router, so the region goes as Supabase's query parameter.
    url := rtrim(project_url, '/') || '/functions/v1/' || p_name
      || case when p_region is null then '' else '?forceFunctionRegion=' || p_region end,
    body := p_body,
    headers := jsonb_build_object('Content-Type', 'application/json') || auth_headers,
    timeout_milliseconds := p_timeout_ms
  ) into request_id;
  return request_id;
end;
$$;


comment on function public.invoke_edge_function(text, jsonb, integer, text) is
  'invoke_edge_function with a region: appends ?forceFunctionRegion=<p_region> (null: no region, today''s call).';
revoke all on function public.invoke_edge_function(text, jsonb, integer, text)
  from public, anon, authenticated, service_role;

create or replace function public.invoke_edge_function(
  p_name text, p_body jsonb default '{}'::jsonb, p_timeout_ms integer default 30000
) returns bigint
language sql
security invoker
set search_path = ''
as $$
  select public.invoke_edge_function(p_name, p_body, p_timeout_ms, null::text)
$$;
revoke all on function public.invoke_edge_function(text, jsonb, integer) from public, anon, authenticated, service_role;

-- none: one call, as before. venue_candidate_regions: one call per active venue per candidate region (latency
-- sampling). venue_home_region: one call per active venue, pinned to its home region (a venue without one: no
-- region); with no home region known for any venue, exactly today's single call for all venues.
alter table public.function_schedules add column fan_out text not null default 'none'
  constraint function_schedules_fan_out_known
  check (fan_out in ('none', 'venue_candidate_regions', 'venue_home_region'));
alter table public.function_schedules add constraint function_schedules_fan_out_edge_only
  check (fan_out = 'none' or kind = 'edge_function');

-- The candidate regions: settings' list plus the project's own region, in that order, without repeats.
create function public.candidate_regions() returns text[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(r order by first_at), '{}') from (
    select r, min(ord) as first_at
      from public.bot_settings s,
           unnest(s.candidate_regions || case when s.project_region is null then '{}'::text[]
                                              else array[s.project_region] end) with ordinality as u(r, ord)
     where s.id = 1
     group by r
  ) x
$$;
revoke all on function public.candidate_regions() from public, anon, authenticated;
grant execute on function public.candidate_regions() to service_role;

-- Where a venue's bursts run now: the settings override, else the measured home region, else null (no region).
create function public.venue_burst_region(p_venue text) returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select s.home_region_overrides ->> p_venue from public.bot_settings s where s.id = 1),
    (select h.region from public.venue_home_regions h where h.venue = p_venue)
  )
$$;
revoke all on function public.venue_burst_region(text) from public, anon, authenticated;
grant execute on function public.venue_burst_region(text) to service_role;

-- The calls one schedule row makes when it fires. Read by run_function_schedule (pg_cron) and, through
-- /rest/v1/rpc, by the local scheduler.
create function public.function_schedule_invocations(p_name text)
returns table (function_name text, body jsonb, region text, timeout_ms integer)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  row_ public.function_schedules;
begin
  select * into row_ from public.function_schedules s where s.name = p_name and s.kind = 'edge_function';
  if not found then
    raise exception 'function_schedule_invocations: no edge_function schedule named %', p_name
      using errcode = 'no_data_found';
  end if;
  if row_.fan_out = 'none' then
    return query select row_.name, row_.body, null::text, row_.timeout_ms;
  elsif row_.fan_out = 'venue_candidate_regions' then
    -- The platform reports no region (every recent sample has none): fanning out would only repeat the same call.
    if exists (select 1 from public.latency_logs l where l.ts > now() - interval '1 hour')
       and not exists (select 1 from public.latency_logs l where l.ts > now() - interval '1 hour' and l.region is not null)
    then
      return query select row_.name, row_.body, null::text, row_.timeout_ms;
      return;
    end if;
    return query
      select row_.name, row_.body || jsonb_build_object('venues', jsonb_build_array(c.exchange_name)), r.region,
             row_.timeout_ms
        from public.exchange_connections c
        cross join lateral unnest(public.candidate_regions()) with ordinality as r(region, ord)
       where c.is_active
       order by c.exchange_name, r.ord;
    -- No candidates at all: sample as before, wherever the call lands.
    if not found then
      return query select row_.name, row_.body, null::text, row_.timeout_ms;
    end if;
  else
    -- One call per venue in its region; with no region known for any venue, the single call of before.
    if not exists (select 1 from public.exchange_connections c
                    where c.is_active and public.venue_burst_region(c.exchange_name) is not null) then
      return query select row_.name, row_.body, null::text, row_.timeout_ms;
      return;
    end if;
    return query
      select row_.name, row_.body || jsonb_build_object('venues', jsonb_build_array(c.exchange_name)),
             public.venue_burst_region(c.exchange_name), row_.timeout_ms
        from public.exchange_connections c
       where c.is_active
       order by c.exchange_name;
  end if;
end;
$$;

comment on function public.function_schedule_invocations(text) is
  'The (function, body, region, timeout) calls one function_schedules row makes when it fires.';
revoke all on function public.function_schedule_invocations(text) from public, anon, authenticated;
grant execute on function public.function_schedule_invocations(text) to service_role;

-- What a fanned-out cron job runs. Returns how many calls it sent.
create function public.run_function_schedule(p_name text) returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  call record;
  sent integer := 0;
begin
  for call in select * from public.function_schedule_invocations(p_name) loop
    perform public.invoke_edge_function(call.function_name, call.body, call.timeout_ms, call.region);
    sent := sent + 1;
  end loop;
  return sent;
end;
$$;
revoke all on function public.run_function_schedule(text) from public, anon, authenticated, service_role;

create or replace function public.sync_function_schedules() returns integer
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
    select s.name, s.kind, s.cron, s.body, s.timeout_ms, s.fan_out
      from public.function_schedules s where s.enabled order by s.name
  loop
    perform cron.schedule(
      schedule_row.name,
      schedule_row.cron,
      case when schedule_row.fan_out = 'none'
        then public.function_schedule_command(schedule_row.kind, schedule_row.name, schedule_row.body,
                                              schedule_row.timeout_ms)
        else format('select public.run_function_schedule(%L)', schedule_row.name) end
    );
    scheduled := scheduled + 1;
  end loop;

  for stale_job in
    select j.jobid, j.jobname from cron.job j
     where (j.command like 'select public.invoke_edge_function(%'
            or j.command like 'select public.run_function_schedule(%'
            or j.command = 'select public.prune_old_rows()')
       and not exists (select 1 from public.function_schedules s where s.enabled and s.name = j.jobname)
  loop
    perform cron.unschedule(stale_job.jobid);
  end loop;

  return scheduled;
end;
$$;

-- Sampling from every candidate region, and bursts pinned per venue (both degrade to one plain call, see above).
update public.function_schedules set fan_out = 'venue_candidate_regions',
  description = 'Latency samples of each venue from each candidate region, every minute.'
 where name = 'latency-sample';
update public.function_schedules set fan_out = 'venue_home_region',
  description = 'A 45 s trading burst every minute, per venue in its home region.'
 where name = 'trade-burst';
