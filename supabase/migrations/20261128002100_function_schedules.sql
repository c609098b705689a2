-- The cadence, in one place: what runs when, with which body and request timeout. The production pg_cron jobs are
-- generated from these rows (sync_function_schedules, next migrations) and the local scheduler (dev/schedule) reads
-- the same rows, so the two cannot drift apart.

create table public.function_schedules (
  -- Also the pg_cron job name; for an edge function, the function's name.
  name text primary key
    constraint function_schedules_name_shape check (name ~ '^[a-z][a-z0-9-]{0,62}$'),
  -- edge_function: POST /functions/v1/<name> with body; retention: select public.prune_old_rows().
  kind text not null constraint function_schedules_kind_known check (kind in ('edge_function', 'retention')),
  -- 5-field cron in UTC (pg_cron's default time zone), e.g. '*/5 * * * *'.
  cron text not null
    constraint function_schedules_cron_shape
    check (cron ~ '^[0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+$'),
  body jsonb not null default '{}'::jsonb
    constraint function_schedules_body_object check (jsonb_typeof(body) = 'object'),
  -- How long the HTTP request may take (pg_net timeout_milliseconds); null for work done inside the database.
  timeout_ms integer
    constraint function_schedules_timeout_ms_range check (timeout_ms between 1000 and 400000),
  enabled boolean not null default true,
  description text,
  updated_at timestamptz not null default now(),

  constraint function_schedules_edge_function_known
    check (kind <> 'edge_function' or name in ('balance-sync', 'latency-sample', 'trade-burst')),
  constraint function_schedules_edge_function_has_timeout check (kind <> 'edge_function' or timeout_ms is not null),
  constraint function_schedules_retention_shape
    check (kind <> 'retention' or (body = '{}'::jsonb and timeout_ms is null)),
  -- A burst must end before its request gives up, or its answer (counts, errors) is lost.
  constraint function_schedules_timeout_above_duration
    check (
      not (body ? 'duration_ms')
      or (jsonb_typeof(body -> 'duration_ms') = 'number' and timeout_ms > (body ->> 'duration_ms')::numeric)
    )
);

comment on table public.function_schedules is
  'The cadence: pg_cron jobs are generated from these rows and the local scheduler reads them.';
comment on column public.function_schedules.cron is '5-field cron expression, UTC.';
comment on column public.function_schedules.timeout_ms is 'HTTP request timeout for edge functions; null otherwise.';

-- Default cadence: latency and a trade burst every minute (the burst, 45 s, ends inside its minute and inside its
-- 60 s request timeout), balances every 5 minutes, retention daily at 03:00 UTC.
insert into public.function_schedules (name, kind, cron, body, timeout_ms, description) values
  ('latency-sample', 'edge_function', '* * * * *', '{}'::jsonb, 30000, 'Latency samples and bands, every minute.'),
  ('trade-burst', 'edge_function', '* * * * *', '{"duration_ms": 45000}'::jsonb, 60000,
   'A 45 s trading burst every minute.'),
  ('balance-sync', 'edge_function', '*/5 * * * *', '{}'::jsonb, 30000, 'Balances from every venue, every 5 minutes.'),
  ('prune-old-rows', 'retention', '0 3 * * *', '{}'::jsonb, null, 'Deletes old latency samples and run-log rows.')
on conflict (name) do nothing;

create trigger function_schedules_set_updated_at
  before update on public.function_schedules
  for each row execute function public.set_updated_at();

alter table public.function_schedules enable row level security;

create policy function_schedules_select_authenticated on public.function_schedules
  for select to authenticated using (true);

revoke all on table public.function_schedules from anon;
revoke all on table public.function_schedules from authenticated;
grant select on table public.function_schedules to authenticated;
revoke all on table public.function_schedules from service_role;
grant select, insert, update, delete on table public.function_schedules to service_role;
