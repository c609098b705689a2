-- The run log: one row per function invocation. A running row with a lease (venue + lease_expires_at) is also the
-- per-venue lease that stops two trade bursts from trading the same venue at once.

create table public.function_runs (
  id uuid primary key default gen_random_uuid(),
  function_name text not null
    constraint function_runs_function_name_known
    check (function_name in ('balance-sync', 'latency-sample', 'trade-burst')),
  -- Null for a run that covers every venue.
  venue text constraint function_runs_venue_known check (venue in ('binance', 'okx')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  lease_expires_at timestamptz,
  outcome text not null default 'running'
    constraint function_runs_outcome_known
    check (outcome in ('running', 'ok', 'partial', 'error', 'skipped', 'abandoned')),
  summary jsonb constraint function_runs_summary_object check (jsonb_typeof(summary) = 'object'),
  error text,
  duration_ms integer constraint function_runs_duration_ms_nonnegative check (duration_ms >= 0),

  -- A run is finished exactly when it has an outcome other than running.
  constraint function_runs_finished_iff_not_running check ((outcome = 'running') = (finished_at is null)),
  constraint function_runs_finished_after_start check (finished_at is null or finished_at >= started_at),
  -- A lease is always on one venue and ends after it starts.
  constraint function_runs_lease_has_venue check (lease_expires_at is null or venue is not null),
  constraint function_runs_lease_after_start check (lease_expires_at is null or lease_expires_at > started_at)
);

comment on table public.function_runs is
  'One row per function invocation; a running row with lease_expires_at is the per-venue lease.';

-- The lease itself: at most one live leased run per function and venue.
create unique index function_runs_one_running_lease_per_venue on public.function_runs (function_name, venue)
  where outcome = 'running' and lease_expires_at is not null;
create index function_runs_started_at_idx on public.function_runs (started_at desc);
create index function_runs_function_name_started_at_idx on public.function_runs (function_name, started_at desc);

alter table public.function_runs enable row level security;

create policy function_runs_select_authenticated on public.function_runs
  for select to authenticated using (true);

revoke all on table public.function_runs from anon;
revoke all on table public.function_runs from authenticated;
grant select on table public.function_runs to authenticated;
revoke all on table public.function_runs from service_role;
grant select, insert, update, delete on table public.function_runs to service_role;
