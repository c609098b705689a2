-- Issue 18, reliability: a home region that stops answering costs a venue at most one schedule period of bursts.
--
-- Before this migration a dead region was noticed only through its latency samples ageing out: the decision keeps a
-- region while it has home_region_min_samples fresh samples (10, five per call, fresh for 150 s), so it still held at
-- the first round after the region's last answer and let go at the second; and the trade-burst job reads
-- venue_burst_region when it fires, in the same minute as that round, before the round has decided. Bursts kept
-- going to the dead region for two to three firings. Nothing looked at whether a call was answered at all.
--
-- Now a regional call that is not answered (the gateway's 502/503/504, a transport error or timeout, or for pg_cron no
-- start within 20 s) marks its region unanswering in region_outages, and a trade-burst call that was not answered is
-- sent again at once to the venue's next region, for what is left of the burst. venue_burst_region skips unanswering
-- regions, walking the venue's measured ranking (venue_home_regions.fallback_regions), so the following firings go to
-- the fallback directly. A region answers again when it takes a latency sample after its last failure (sampling goes
-- to every candidate region every minute, so recovery is noticed within a round).
--
-- Who notices: locally, the scheduler's invoker sees the HTTP answer and calls report_unanswered_call. Under pg_cron,
-- run_function_schedule records every regional call's pg_net request id in regional_calls and check_regional_calls
-- (a pg_cron job every 10 s) reads net._http_response and the run log. Both re-ask function_schedule_invocations, so
-- the fallback region is the same either way.

-- Latency samples by region alone: "has this region taken a sample since it failed".
create index latency_logs_region_ts_idx on public.latency_logs (region, ts desc) where region is not null;

create table public.region_outages (
  region text primary key constraint region_outages_region_shape check (public.region_name_is_valid(region)),
  -- The first and the latest unanswered call of this outage.
  since timestamptz not null default now(),
  failed_at timestamptz not null default now(),
  failures integer not null default 1 constraint region_outages_failures_positive check (failures >= 1),
  function_name text not null,
  -- What the caller saw (HTTP 503, timed out, no start within 20 s).
  detail text not null default '',
  constraint region_outages_failed_after_since check (failed_at >= since)
);

comment on table public.region_outages is
  'Edge regions whose calls went unanswered; a region is back once it takes a latency sample after failed_at.';

alter table public.region_outages enable row level security;
create policy region_outages_select_members on public.region_outages
  for select to authenticated using ((select public.member_role()) is not null);
revoke all on table public.region_outages from anon, authenticated, service_role;
grant select on table public.region_outages to authenticated;
grant select, insert, update, delete on table public.region_outages to service_role;

create function public.region_is_answering(p_region text) returns boolean
language sql
stable
set search_path = ''
as $$
  select not exists (
    select 1 from public.region_outages o
     where o.region = p_region
       and not exists (select 1 from public.latency_logs l where l.region = p_region and l.ts > o.failed_at)
  )
$$;
comment on function public.region_is_answering(text) is
  'False while the region''s latest unanswered call is newer than its latest latency sample.';
revoke all on function public.region_is_answering(text) from public, anon, authenticated;
grant execute on function public.region_is_answering(text) to service_role;

-- Called by whoever saw a regional call go unanswered (the local scheduler through /rest/v1/rpc, check_regional_calls).
create function public.report_unanswered_call(p_function text, p_region text, p_detail text default '')
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_region is null or not public.region_name_is_valid(p_region) then
    raise exception 'report_unanswered_call: p_region must be a region name like ap-northeast-1, got %', p_region
      using errcode = 'invalid_parameter_value';
  end if;
  if p_function is null or p_function !~ '^[a-z][a-z0-9-]{0,62}$' then
    raise exception 'report_unanswered_call: p_function must be a function name, got %', p_function
      using errcode = 'invalid_parameter_value';
  end if;
  insert into public.region_outages as o (region, function_name, detail)
  values (p_region, p_function, left(coalesce(p_detail, ''), 500))
  on conflict (region) do update set
    -- A region that answered since its last failure starts a new outage.
    since = case when public.region_is_answering(o.region) then now() else o.since end,
    failures = case when public.region_is_answering(o.region) then 1 else o.failures + 1 end,
    failed_at = now(),
    function_name = excluded.function_name,
    detail = excluded.detail;
end;
$$;
comment on function public.report_unanswered_call(text, text, text) is
  'Marks a region unanswering (its call got no answer); venue_burst_region skips it until it samples again.';
revoke all on function public.report_unanswered_call(text, text, text) from public, anon, authenticated;
grant execute on function public.report_unanswered_call(text, text, text) to service_role;

-- The venue's other eligible regions, best median first (written by latency-sample with each decision).
alter table public.venue_home_regions add column fallback_regions text[] not null default '{}'
  constraint venue_home_regions_fallback_regions_shape check (
    cardinality(fallback_regions) = 0
    or (array_ndims(fallback_regions) = 1 and cardinality(fallback_regions) <= 16
      and array_position(fallback_regions, null) is null
      and array_to_string(fallback_regions, ',') ~ '^[a-z]{2}-[a-z]+-[0-9]{1,2}(,[a-z]{2}-[a-z]+-[0-9]{1,2})*$')
  );
comment on column public.venue_home_regions.fallback_regions is
  'Where bursts go when the home region is not answering: the other eligible regions, best median first.';

-- Override first (a pin by hand is honoured as set, see docs), else the home region, else the first answering region
-- of the ranking; null (the platform's own routing, the project's region) when none of them answers.
create or replace function public.venue_burst_region(p_venue text) returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select s.home_region_overrides ->> p_venue from public.bot_settings s where s.id = 1),
    (select u.r from public.venue_home_regions h
       cross join lateral unnest(array[h.region] || h.fallback_regions) with ordinality as u(r, ord)
      where h.venue = p_venue and public.region_is_answering(u.r)
      order by u.ord limit 1)
  )
$$;

-- Every regional call pg_cron sent, until check_regional_calls has seen it answered or not.
create table public.regional_calls (
  -- pg_net's request id (net._http_response.id).
  request_id bigint primary key,
  schedule text not null,
  fan_out text not null constraint regional_calls_fan_out_known
    check (fan_out in ('venue_candidate_regions', 'venue_home_region')),
  function_name text not null,
  region text not null constraint regional_calls_region_shape check (public.region_name_is_valid(region)),
  body jsonb not null constraint regional_calls_body_object check (jsonb_typeof(body) = 'object'),
  timeout_ms integer not null,
  -- 1 for the scheduled call, n for its (n-1)th re-send to a fallback region.
  attempt integer not null default 1 constraint regional_calls_attempt_range check (attempt between 1 and 16),
  sent_at timestamptz not null default now(),
  state text not null default 'sent' constraint regional_calls_state_known
    check (state in ('sent', 'answered', 'unanswered')),
  detail text
);
comment on table public.regional_calls is
  'Regional calls sent by pg_cron, checked by check_regional_calls (answered, or the region marked and re-sent).';
create index regional_calls_sent_idx on public.regional_calls (sent_at) where state = 'sent';

alter table public.regional_calls enable row level security;
create policy regional_calls_select_members on public.regional_calls
  for select to authenticated using ((select public.member_role()) is not null);
revoke all on table public.regional_calls from anon, authenticated, service_role;
grant select on table public.regional_calls to authenticated;
grant select, insert, update, delete on table public.regional_calls to service_role;

-- What a fanned-out cron job runs; regional calls are recorded for check_regional_calls. Returns how many it sent.
create or replace function public.run_function_schedule(p_name text) returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  call record;
  sent integer := 0;
  request_id bigint;
  schedule_fan_out text;
begin
  select s.fan_out into schedule_fan_out from public.function_schedules s where s.name = p_name;
  for call in select * from public.function_schedule_invocations(p_name) loop
    request_id := public.invoke_edge_function(call.function_name, call.body, call.timeout_ms, call.region);
    if call.region is not null and schedule_fan_out <> 'none' then
      insert into public.regional_calls (request_id, schedule, fan_out, function_name, region, body, timeout_ms)
      values (request_id, p_name, schedule_fan_out, call.function_name, call.region, call.body, call.timeout_ms);
    end if;
    sent := sent + 1;
  end loop;
  return sent;
end;
$$;
revoke all on function public.run_function_schedule(text) from public, anon, authenticated, service_role;

-- How long a call may go without an answer or a start before its region counts as unanswering (pg_cron's view; the
-- local scheduler sees the gateway's answer at once). A burst takes its lease within a second or two of arriving.
create function public.regional_call_start_deadline() returns interval
language sql immutable set search_path = '' as $$ select interval '20 seconds' $$;
revoke all on function public.regional_call_start_deadline() from public, anon, authenticated;

-- A re-sent burst shorter than this is not worth a call: the next firing goes to the fallback region anyway.
create function public.min_resend_duration_ms() returns integer
language sql immutable set search_path = '' as $$ select 5000 $$;
revoke all on function public.min_resend_duration_ms() from public, anon, authenticated;

-- pg_cron's side of the fallback: for each regional call still 'sent', decide answered / unanswered from pg_net's
-- response (or, while there is none, from whether the function started), mark unanswering regions, and re-send an
-- unanswered trade-burst call to the venue's next region for the rest of its burst. Returns the calls re-sent.
create function public.check_regional_calls() returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  c public.regional_calls;
  response record;
  verdict text;
  why text;
  started boolean;
  next_call record;
  next_body jsonb;
  remaining_ms integer;
  next_id bigint;
  resent integer := 0;
begin
  delete from public.regional_calls where state <> 'sent' and sent_at < now() - interval '1 hour';
  if to_regclass('net._http_response') is null then
    return 0;
  end if;
  for c in select * from public.regional_calls r where r.state = 'sent' order by r.sent_at for update skip locked loop
    verdict := null;
    select r.status_code, r.timed_out, r.error_msg into response from net._http_response r where r.id = c.request_id;
    if found then
      -- 502/503/504: the platform's router got no answer from the region; 5xx from the function itself is 500.
      if coalesce(response.timed_out, false) or response.status_code is null
         or response.status_code in (502, 503, 504) then
        verdict := 'unanswered';
        why := coalesce('HTTP ' || response.status_code, case when response.timed_out then 'timed out' end,
                        response.error_msg, 'no answer');
      else
        verdict := 'answered';
        why := 'HTTP ' || response.status_code;
      end if;
    else
      -- No response yet: a burst answers only when it ends, so a lease taken (or a sample written) since the call
      -- was sent says the region took it.
      started := case c.function_name
        when 'trade-burst' then exists (
          select 1 from public.function_runs f
           where f.function_name = c.function_name and f.started_at >= c.sent_at
             and f.venue in (select jsonb_array_elements_text(c.body -> 'venues')))
        when 'latency-sample' then exists (
          select 1 from public.latency_logs l where l.region = c.region and l.ts >= c.sent_at)
        else false end;
      if started then
        verdict := 'answered';
        why := 'started';
      elsif now() - c.sent_at > public.regional_call_start_deadline() then
        verdict := 'unanswered';
        why := 'no start within ' || public.regional_call_start_deadline();
      end if;
    end if;
    continue when verdict is null;

    update public.regional_calls set state = verdict, detail = why where request_id = c.request_id;
    continue when verdict = 'answered';
    perform public.report_unanswered_call(c.function_name, c.region, why);
    continue when c.fan_out <> 'venue_home_region' or c.attempt >= 16;

    -- The call's burst was due to end duration_ms after it was sent: a re-send runs for what is left of it.
    remaining_ms := case when c.body ? 'duration_ms'
      then (c.body ->> 'duration_ms')::integer - (extract(epoch from now() - c.sent_at) * 1000)::integer end;
    continue when remaining_ms is not null and remaining_ms < public.min_resend_duration_ms();
    for next_call in
      select * from public.function_schedule_invocations(c.schedule) i
       where i.body -> 'venues' = c.body -> 'venues' and i.region is distinct from c.region
    loop
      next_body := next_call.body
        || case when remaining_ms is null then '{}'::jsonb else jsonb_build_object('duration_ms', remaining_ms) end;
      next_id := public.invoke_edge_function(next_call.function_name, next_body, next_call.timeout_ms, next_call.region);
      if next_call.region is not null then
        insert into public.regional_calls
          (request_id, schedule, fan_out, function_name, region, body, timeout_ms, attempt)
        values (next_id, c.schedule, c.fan_out, next_call.function_name, next_call.region, next_body,
                next_call.timeout_ms, c.attempt + 1);
      end if;
      resent := resent + 1;
    end loop;
  end loop;
  return resent;
end;
$$;
comment on function public.check_regional_calls() is
  'pg_cron, every 10 s: marks regions whose calls went unanswered and re-sends unanswered bursts to the next region.';
revoke all on function public.check_regional_calls() from public, anon, authenticated, service_role;

-- The watcher job beside the schedule rows' jobs: every 10 s where pg_cron has interval schedules (1.5+, as on
-- Supabase), else every minute (then a dead region is left one period later than promised; see docs/ARCHITECTURE.md).
create function public.regional_call_check_schedule() returns text
language sql
stable
set search_path = ''
as $$
  select case
    when (select string_to_array(split_part(e.extversion, '-', 1), '.')::int[] >= array[1, 5]
            from pg_extension e where e.extname = 'pg_cron')
      then '10 seconds'
    else '* * * * *' end
$$;
revoke all on function public.regional_call_check_schedule() from public, anon, authenticated;

create or replace function public.sync_function_schedules() returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  schedule_row record;
  stale_job record;
  scheduled integer := 0;
  wants_check boolean;
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

  -- Regional calls need watching only while some enabled schedule fans out.
  wants_check := exists (select 1 from public.function_schedules s where s.enabled and s.fan_out <> 'none');
  if wants_check then
    perform cron.schedule('regional-call-check', public.regional_call_check_schedule(),
                          'select public.check_regional_calls()');
  end if;

  for stale_job in
    select j.jobid, j.jobname from cron.job j
     where ((j.command like 'select public.invoke_edge_function(%'
             or j.command like 'select public.run_function_schedule(%'
             or j.command = 'select public.prune_old_rows()')
            and not exists (select 1 from public.function_schedules s where s.enabled and s.name = j.jobname))
        or (j.command = 'select public.check_regional_calls()' and not wants_check)
  loop
    perform cron.unschedule(stale_job.jobid);
  end loop;

  return scheduled;
end;
$$;

select public.sync_function_schedules();
