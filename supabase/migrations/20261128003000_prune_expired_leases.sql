-- Retention fix: a lease whose burst died stays `running` until the next burst on the same venue marks it abandoned
-- (acquire_venue_lease). A venue that is never traded again kept that row forever, outside any retention. Pruning now
-- marks expired leases abandoned first (exactly as acquire_venue_lease does), so they age out like every other
-- finished run. Runs without a lease that never finished are still kept for a human to look at, as before.

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

  -- Only finished runs: a running row may be a live lease, and a run without a lease that never finished is left
  -- for a human to look at.
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
    'cron_run_details_deleted', cron_details_deleted,
    'latency_cutoff', latency_cutoff,
    'run_log_cutoff', run_log_cutoff
  );
end;
$$;

comment on function public.prune_old_rows() is
  'Marks expired leases abandoned, then deletes latency_logs older than latency_retention_days and finished '
  'function_runs older than run_log_retention_days (and pg_cron run details as old, when pg_cron is installed); '
  'returns counts and cutoffs.';

revoke all on function public.prune_old_rows() from public, anon, authenticated;
grant execute on function public.prune_old_rows() to service_role;
