-- The cadence: function_schedules holds it, pg_cron jobs follow it (also after edits), invoke_edge_function refuses
-- clearly where pg_net or Vault is missing, and only the right roles see or change any of it.
begin;
select plan(25);

select has_table('public', 'function_schedules', 'function_schedules holds the cadence.');
select results_eq(
  $$select name || ' ' || kind || ' ' || cron || ' ' || body::text || ' ' || coalesce(timeout_ms::text, '-')
      from public.function_schedules order by name$$,
  array[
    'balance-sync edge_function */5 * * * * {} 30000',
    'latency-sample edge_function * * * * * {} 30000',
    'prune-old-rows retention 0 3 * * * {} -',
    'trade-burst edge_function * * * * * {"duration_ms": 45000} 60000'
  ],
  'the default cadence: latency and burst every minute, balances every 5 minutes, retention daily.'
);
select ok(
  (select (body ->> 'duration_ms')::int < 60000 and timeout_ms > (body ->> 'duration_ms')::int
     from public.function_schedules where name = 'trade-burst'),
  'the burst is shorter than its one-minute interval and its request timeout is longer than the burst.'
);

-- pg_cron jobs match the table.
select results_eq(
  $$select (jobname::text || ' ' || schedule || ' ' || command) collate "default" from cron.job order by jobname$$,
  array[
    $c$balance-sync */5 * * * * select public.invoke_edge_function('balance-sync', '{}'::jsonb, 30000)$c$,
    $c$latency-sample * * * * * select public.run_function_schedule('latency-sample')$c$,
    $c$prune-old-rows 0 3 * * * select public.prune_old_rows()$c$,
    -- Every 10 s on pg_cron 1.5+ (Supabase); this server's 1.4 has no interval schedules, so every minute.
    $c$regional-call-check $c$ || public.regional_call_check_schedule() || $c$ select public.check_regional_calls()$c$,
    $c$trade-burst * * * * * select public.run_function_schedule('trade-burst')$c$
  ],
  'the migration created one cron job per schedule row, each calling the right SQL.'
);
select ok(
  (select bool_and(active) and bool_and(username = 'postgres') from cron.job),
  'the jobs are active and run as postgres (the role that may read Vault).'
);
select ok(
  not exists (select 1 from cron.job where command ~* 'https?://|bearer|eyJ'),
  'no URL or key is written into a cron command.'
);

-- Edits re-sync the jobs through the trigger.
update public.function_schedules set cron = '*/10 * * * *' where name = 'balance-sync';
select is(
  (select schedule from cron.job where jobname = 'balance-sync'), '*/10 * * * *',
  'changing a row''s cron changes the cron job.'
);
update public.function_schedules set body = '{"venues": ["okx"]}'::jsonb where name = 'balance-sync';
select is(
  (select command from cron.job where jobname = 'balance-sync'),
  $c$select public.invoke_edge_function('balance-sync', '{"venues": ["okx"]}'::jsonb, 30000)$c$,
  'changing a row''s body changes the job''s command.'
);
update public.function_schedules set body = '{}'::jsonb where name = 'balance-sync';
update public.function_schedules set body = '{"duration_ms": 30000}'::jsonb where name = 'trade-burst';
select is(
  (select body from public.function_schedule_invocations('trade-burst')),
  '{"duration_ms": 30000}'::jsonb,
  'a fanned-out job reads its body at run time (no regions known: one call with the row''s body).'
);
update public.function_schedules set enabled = false where name = 'latency-sample';
select is_empty(
  $$select 1 from cron.job where jobname = 'latency-sample'$$, 'disabling a row unschedules its job.'
);
update public.function_schedules set enabled = true where name = 'latency-sample';
select isnt_empty(
  $$select 1 from cron.job where jobname = 'latency-sample'$$, 're-enabling it schedules the job again.'
);
select cron.schedule('someone-elses-job', '0 0 * * *', 'select 1');
delete from public.function_schedules where name = 'prune-old-rows';
select is_empty($$select 1 from cron.job where jobname = 'prune-old-rows'$$, 'deleting a row unschedules its job.');
select isnt_empty(
  $$select 1 from cron.job where jobname = 'someone-elses-job'$$, 'cron jobs that are not ours are left alone.'
);

-- The table refuses nonsense.
select throws_ok(
  $$insert into public.function_schedules (name, kind, cron, timeout_ms)
    values ('hello', 'edge_function', '* * * * *', 1000)$$,
  '23514', null, 'only the known edge functions can be scheduled.'
);
select throws_ok(
  $$update public.function_schedules set timeout_ms = 30000 where name = 'trade-burst'$$,
  '23514', null, 'a request timeout no longer than the burst is refused.'
);
select throws_ok(
  $$update public.function_schedules set cron = 'every minute' where name = 'balance-sync'$$,
  '23514', null, 'a cron expression that is not 5 fields is refused.'
);

-- invoke_edge_function says what is missing (this database has no pg_net and no Vault).
select throws_ok(
  $$select public.invoke_edge_function('latency-sample', '{}'::jsonb, 30000)$$,
  '0A000', 'invoke_edge_function(latency-sample): pg_net is not installed, so this database cannot call edge functions',
  'without pg_net the call fails with a message naming pg_net.'
);
select throws_ok(
  $$select public.invoke_edge_function('Bad Name', '{}'::jsonb, 30000)$$,
  '22023', null, 'a malformed function name is refused before anything else.'
);

-- Roles.
insert into public.members (user_id, role) values ('33333333-3333-4333-8333-333333333333', 'viewer');
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "44444444-4444-4444-8444-444444444444"}';
select is_empty('select name from public.function_schedules', 'a signed-in non-member reads no cadence.');
set local request.jwt.claims to '{"role": "authenticated", "sub": "33333333-3333-4333-8333-333333333333"}';
select isnt_empty('select name from public.function_schedules', 'a member can read the cadence.');
select throws_ok(
  $$update public.function_schedules set cron = '0 0 * * *' where name = 'trade-burst'$$,
  '42501', null, 'a signed-in user cannot change the cadence.'
);
select throws_ok(
  $$select public.invoke_edge_function('trade-burst', '{}'::jsonb, 60000)$$,
  '42501', null, 'a signed-in user cannot invoke functions through the database.'
);
reset role;

set local role anon;
select throws_ok('select name from public.function_schedules', '42501', null, 'anon cannot read the cadence.');
reset role;

set local role service_role;
select throws_ok(
  $$select public.invoke_edge_function('trade-burst', '{}'::jsonb, 60000)$$,
  '42501', null, 'not even the service role may send requests with the Vault key.'
);
select lives_ok(
  $$update public.function_schedules set cron = '*/2 * * * *' where name = 'balance-sync'$$,
  'the service role may change the cadence.'
);
reset role;

select * from finish();
rollback;
