-- Issue 14: a run whose function died stayed `running` until the next run of the SAME function (or, for a lease, the
-- next burst of the same venue, or the daily prune): a function that is disabled, or a venue never traded again, kept
-- its dead run `running` for days. Now the start of ANY function's run finishes every dead run of every function:
-- - a leased run whose lease expired (its holder stopped answering): `abandoned`, 'lease expired', finished at the
--   expiry, as acquire_venue_lease and prune_old_rows do;
-- - a run without a lease still `running` 15 minutes after it started (an Edge Function cannot run longer than
--   400 s): `abandoned`, 'expired: no finish recorded within 15 minutes (the function died)'.
-- The daily prune does the same for runs without a lease, so nothing depends on a function starting at all.
-- Rows another transaction holds are skipped (`skip locked`): two functions starting at once never wait on, or
-- deadlock over, each other's clean-up; the next start finishes what was skipped.

-- Every start looks for running rows: keep that a short index scan, not a pass over the whole run log.
create index function_runs_running_idx on public.function_runs (started_at) where outcome = 'running';

create or replace function public.function_runs_expire_dead()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.function_runs r
     set outcome = 'abandoned',
         finished_at = greatest(least(now(), r.lease_expires_at), r.started_at),
         duration_ms = greatest(0, round(extract(epoch from (least(now(), r.lease_expires_at) - r.started_at)) * 1000))::integer,
         error = 'lease expired'
   where r.id in (
     select d.id from public.function_runs d
      where d.outcome = 'running' and d.lease_expires_at is not null and d.lease_expires_at < now()
      for update skip locked);

  update public.function_runs r
     set outcome = 'abandoned',
         finished_at = r.started_at + interval '15 minutes',
         duration_ms = 900000,
         error = coalesce(r.error || '; ', '') || 'expired: no finish recorded within 15 minutes (the function died)'
   where r.id in (
     select d.id from public.function_runs d
      where d.outcome = 'running' and d.lease_expires_at is null
        and d.started_at < new.started_at - interval '15 minutes'
      for update skip locked);
  return new;
end;
$$;

comment on function public.function_runs_expire_dead() is
  'Before a run is recorded: finishes every dead run of every function (expired lease, or 15 min without a finish).';

revoke all on function public.function_runs_expire_dead() from public, anon, authenticated, service_role;

-- prune_old_rows, restated whole: it now also finishes runs without a lease that never finished (they used to be kept
-- "for a human to look at", i.e. `running` forever, outside retention).
create or replace function public.prune_old_rows() returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  latency_days integer;
  run_log_days integer;
  latency_cutoff timestamptz;
  run_log_cutoff timestamptz;
  latency_deleted bigint;
  runs_deleted bigint;
  leases_abandoned bigint;
  dead_runs_abandoned bigint;
  cron_details_deleted bigint;
begin
  select s.latency_retention_days, s.run_log_retention_days
    into latency_days, run_log_days
    from public.bot_settings s
   where s.id = 1;
  if not found then
    raise exception 'prune_old_rows: bot_settings row 1 is missing, so the retention days are unknown'
      using errcode = 'no_data_found';
  end if;

  latency_cutoff := now() - make_interval(days => latency_days);
  run_log_cutoff := now() - make_interval(days => run_log_days);

  delete from public.latency_logs where ts < latency_cutoff;
  get diagnostics latency_deleted = row_count;

  -- A dead burst's lease: finished as abandoned when its holder stopped answering (its expiry), so that it ages out
  -- from then on like any other finished run.
  update public.function_runs
     set outcome = 'abandoned',
         finished_at = greatest(least(now(), lease_expires_at), started_at),
         duration_ms = greatest(0, round(extract(epoch from (least(now(), lease_expires_at) - started_at)) * 1000))::integer,
         error = 'lease expired'
   where outcome = 'running'
     and lease_expires_at is not null
     and lease_expires_at < now();
  get diagnostics leases_abandoned = row_count;

  -- A run without a lease still running 15 minutes after it started is dead (as function_runs_expire_dead says).
  update public.function_runs
     set outcome = 'abandoned',
         finished_at = started_at + interval '15 minutes',
         duration_ms = 900000,
         error = coalesce(error || '; ', '') || 'expired: no finish recorded within 15 minutes (the function died)'
   where outcome = 'running'
     and lease_expires_at is null
     and started_at < now() - interval '15 minutes';
  get diagnostics dead_runs_abandoned = row_count;

  delete from public.function_runs
   where outcome <> 'running'
     and finished_at is not null
     and finished_at < run_log_cutoff;
  get diagnostics runs_deleted = row_count;

  -- pg_cron's own run log grows by one row per job run (four jobs, mostly every minute): same retention as ours.
  if to_regclass('cron.job_run_details') is not null then
    execute 'delete from cron.job_run_details where end_time < $1' using run_log_cutoff;
    get diagnostics cron_details_deleted = row_count;
  end if;

  return jsonb_build_object(
    'latency_logs_deleted', latency_deleted,
    'function_runs_deleted', runs_deleted,
    'expired_leases_abandoned', leases_abandoned,
    'dead_runs_abandoned', dead_runs_abandoned,
    'cron_run_details_deleted', cron_details_deleted,
    'latency_cutoff', latency_cutoff,
    'run_log_cutoff', run_log_cutoff
  );
end;
$$;

comment on function public.prune_old_rows() is
  'Marks expired leases and dead runs abandoned, then deletes latency_logs older than latency_retention_days and '
  'finished function_runs older than run_log_retention_days (and pg_cron run details as old, when pg_cron is '
  'installed); returns counts and cutoffs.';

revoke all on function public.prune_old_rows() from public, anon, authenticated;
grant execute on function public.prune_old_rows() to service_role;
