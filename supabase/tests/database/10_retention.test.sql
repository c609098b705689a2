-- Retention: prune_old_rows deletes old latency samples and old finished runs, keeps everything else, and only the
-- service role may call it.
begin;
select plan(15);

-- A known starting point: short retention, and only the rows this test writes.
delete from public.latency_logs;
delete from public.function_runs;
update public.bot_settings set latency_retention_days = 3, run_log_retention_days = 5 where id = 1;

insert into public.latency_logs (venue, latency_ms, success, ts) values
  ('binance', 12, true, now() - interval '4 days'),
  ('okx', null, false, now() - interval '10 days'),
  ('binance', 15, true, now() - interval '2 days'),
  ('okx', 20, true, now());

insert into public.function_runs (function_name, venue, started_at, finished_at, outcome, duration_ms, error) values
  ('latency-sample', null, now() - interval '6 days', now() - interval '6 days', 'ok', 10, null),
  ('balance-sync', null, now() - interval '30 days', now() - interval '30 days', 'error', 10, 'old failure'),
  ('trade-burst', 'binance', now() - interval '4 days', now() - interval '4 days', 'ok', 10, null),
  ('balance-sync', null, now() - interval '1 hour', now() - interval '1 hour', 'ok', 10, null);
-- A run that never finished (no lease), 20 days old: dead (issue 14); retention finishes it as abandoned 15 minutes
-- after its start, so it ages out with the other old runs.
insert into public.function_runs (function_name, venue, started_at, outcome) values
  ('latency-sample', null, now() - interval '20 days', 'running');

select has_function('public', 'prune_old_rows', array[]::text[], 'prune_old_rows() exists.');
select is(
  (select prosecdef from pg_proc where oid = 'public.prune_old_rows()'::regprocedure), true,
  'prune_old_rows is security definer.'
);
select ok(
  (select proconfig @> array['search_path=""'] from pg_proc where oid = 'public.prune_old_rows()'::regprocedure),
  'prune_old_rows runs with an empty search_path.'
);

create temporary table pruned as select public.prune_old_rows() as result;

select is((select (result ->> 'latency_logs_deleted')::int from pruned), 2,
  'two latency samples older than 3 days were deleted.');
select is((select (result ->> 'dead_runs_abandoned')::int from pruned), 1,
  'the run that never finished was marked abandoned.');
select is((select (result ->> 'function_runs_deleted')::int from pruned), 3,
  'two finished runs older than 5 days and the dead run were deleted.');
select ok((select result ? 'cron_run_details_deleted' from pruned), 'the answer also says what pg_cron history went.');
select is(
  (select (result ->> 'latency_cutoff')::timestamptz from pruned), now() - interval '3 days',
  'the latency cutoff is now minus latency_retention_days.'
);
select results_eq(
  'select latency_ms::int from public.latency_logs order by ts',
  array[15, 20],
  'the samples inside the window are kept.'
);
select results_eq(
  $$select function_name || ':' || outcome from public.function_runs order by started_at$$,
  array['trade-burst:ok', 'balance-sync:ok'],
  'recent finished runs are kept.'
);
select is(
  (select (public.prune_old_rows() ->> 'latency_logs_deleted')::int), 0,
  'a second call finds nothing more to delete.'
);

set local role service_role;
select lives_ok('select public.prune_old_rows()', 'the service role may prune.');
reset role;

set local role authenticated;
select throws_ok('select public.prune_old_rows()', '42501', null, 'a signed-in user may not prune.');
reset role;

set local role anon;
select throws_ok('select public.prune_old_rows()', '42501', null, 'anon may not prune.');
reset role;

delete from public.bot_settings where id = 1;
select throws_ok(
  'select public.prune_old_rows()', 'P0002', null, 'without the settings row it refuses instead of guessing.'
);

select * from finish();
rollback;
