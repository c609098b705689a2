-- The per-venue lease: acquire_venue_lease / release_venue_lease, expiry, and who may call them.
begin;
select plan(30);

-- Run ids the steps below hand to each other (a temp table, so no output lines disturb the TAP stream).
create temp table lease_runs (label text primary key, run_id uuid);
grant all on lease_runs to service_role, anon, authenticated;

set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';

insert into lease_runs values ('first', public.acquire_venue_lease('trade-burst', 'binance', 60));
select isnt(
  (select run_id from lease_runs where label = 'first'), null,
  'The first acquire on a free venue returns a run id.'
);
select results_eq(
  $$select r.function_name, r.venue, r.outcome, r.lease_expires_at - r.started_at, r.finished_at
      from public.function_runs r join lease_runs l on l.run_id = r.id where l.label = 'first'$$,
  $$values ('trade-burst'::text, 'binance'::text, 'running'::text, interval '60 seconds', null::timestamptz)$$,
  'The lease is a running run row on that venue that expires after the TTL.'
);

insert into lease_runs values ('second', public.acquire_venue_lease('trade-burst', 'binance', 60));
select is(
  (select run_id from lease_runs where label = 'second'), null,
  'A second acquire while the lease is live returns null.'
);
select results_eq(
  $$select count(*)::int from public.function_runs where venue = 'binance' and function_name = 'trade-burst'$$,
  array[1],
  'The refused acquire left no row behind.'
);

insert into lease_runs values ('okx', public.acquire_venue_lease('trade-burst', 'okx', 60));
select isnt(
  (select run_id from lease_runs where label = 'okx'), null,
  'Another venue can be leased at the same time.'
);
insert into lease_runs values ('okx again', public.acquire_venue_lease('trade-burst', 'okx', 60));
select is(
  (select run_id from lease_runs where label = 'okx again'), null,
  'That venue''s lease is exclusive too.'
);
insert into lease_runs values ('other function', public.acquire_venue_lease('balance-sync', 'binance', 60));
select isnt(
  (select run_id from lease_runs where label = 'other function'), null,
  'The lease is per function: a balance-sync lease does not collide with the trade-burst lease.'
);

-- Release.
select lives_ok(
  $$select public.release_venue_lease(
      (select run_id from lease_runs where label = 'first'), 'ok', '{"orders": 2, "skipped": 1}', null)$$,
  'The holder releases its lease with an outcome and a summary.'
);
select results_eq(
  $$select r.outcome, r.summary, r.error, r.finished_at is not null, r.duration_ms >= 0
      from public.function_runs r join lease_runs l on l.run_id = r.id where l.label = 'first'$$,
  $$values ('ok'::text, '{"orders": 2, "skipped": 1}'::jsonb, null::text, true, true)$$,
  'Release records outcome, summary, finish time and duration.'
);
select throws_ok(
  $$select public.release_venue_lease((select run_id from lease_runs where label = 'first'), 'ok', null, null)$$,
  'P0002', null,
  'Releasing the same run twice is refused loudly.'
);
insert into lease_runs values ('third', public.acquire_venue_lease('trade-burst', 'binance', 30));
select isnt(
  (select run_id from lease_runs where label = 'third'), null,
  'After a release the venue can be taken again.'
);

-- Expiry: a holder that died (lease past its expiry) is abandoned by the next acquire.
reset role;
update public.function_runs
   set started_at = now() - interval '10 minutes', lease_expires_at = now() - interval '5 minutes'
 where id = (select run_id from lease_runs where label = 'third');
set local role service_role;

insert into lease_runs values ('fourth', public.acquire_venue_lease('trade-burst', 'binance', 30));
select isnt(
  (select run_id from lease_runs where label = 'fourth'), null,
  'An expired lease does not block the venue: the next acquire succeeds.'
);
select results_eq(
  $$select r.outcome, r.error, r.finished_at = now(), r.duration_ms
      from public.function_runs r join lease_runs l on l.run_id = r.id where l.label = 'third'$$,
  $$values ('abandoned'::text, 'lease expired'::text, true, 600000)$$,
  'The expired lease is marked abandoned with the reason, its finish time and how long it ran.'
);
select results_eq(
  $$select r.outcome from public.function_runs r join lease_runs l on l.run_id = r.id where l.label = 'okx'$$,
  array['running'::text],
  'A live lease on another venue is left alone by that cleanup.'
);
select throws_ok(
  $$select public.release_venue_lease((select run_id from lease_runs where label = 'third'), 'ok', null, null)$$,
  'P0002', null,
  'A holder whose lease was abandoned cannot release it any more (an overrun is loud).'
);

-- Input checks.
select throws_ok(
  $$select public.release_venue_lease((select run_id from lease_runs where label = 'fourth'), 'running', null, null)$$,
  '22023', null,
  'Release refuses running as an outcome.'
);
select throws_ok(
  $$select public.release_venue_lease((select run_id from lease_runs where label = 'fourth'), 'abandoned', null, null)$$,
  '22023', null,
  'Release refuses abandoned as an outcome (only expiry abandons).'
);
select throws_ok(
  $$select public.acquire_venue_lease('trade-burst', 'binance', 0)$$,
  '22023', null,
  'A TTL below one second is refused.'
);
select throws_ok(
  $$select public.acquire_venue_lease('trade-burst', null, 30)$$,
  '22023', null,
  'A lease without a venue is refused.'
);
select throws_ok(
  $$select public.acquire_venue_lease('trade-burst', 'kraken', 30)$$,
  '23514', null,
  'A lease on an unknown venue is refused.'
);

-- Plain runs (no venue, no lease) for the other functions.
with started as (insert into public.function_runs (function_name) values ('latency-sample') returning id)
insert into lease_runs select 'plain', id from started;
select lives_ok(
  $$insert into public.function_runs (function_name) values ('latency-sample')$$,
  'Runs without a lease never collide, even when two run at once.'
);
select lives_ok(
  $$select public.release_venue_lease((select run_id from lease_runs where label = 'plain'), 'partial', '{}', 'okx down')$$,
  'release_venue_lease also finishes a plain run.'
);
select results_eq(
  $$select r.outcome, r.error from public.function_runs r join lease_runs l on l.run_id = r.id where l.label = 'plain'$$,
  $$values ('partial'::text, 'okx down'::text)$$,
  'The plain run records its outcome and error.'
);

-- Nobody but the service role may call the lease functions.
reset role;
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select throws_ok(
  $$select public.acquire_venue_lease('trade-burst', 'okx', 30)$$,
  '42501', 'permission denied for function acquire_venue_lease',
  'anon cannot take a lease.'
);
select throws_ok(
  $$select public.release_venue_lease((select run_id from lease_runs where label = 'okx'), 'ok', null, null)$$,
  '42501', 'permission denied for function release_venue_lease',
  'anon cannot release a lease.'
);

reset role;
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111"}';
select throws_ok(
  $$select public.acquire_venue_lease('trade-burst', 'okx', 30)$$,
  '42501', 'permission denied for function acquire_venue_lease',
  'authenticated cannot take a lease.'
);
select throws_ok(
  $$select public.release_venue_lease((select run_id from lease_runs where label = 'okx'), 'ok', null, null)$$,
  '42501', 'permission denied for function release_venue_lease',
  'authenticated cannot release a lease.'
);

reset role;
select results_eq(
  $$select r.outcome from public.function_runs r join lease_runs l on l.run_id = r.id where l.label = 'okx'$$,
  array['running'::text],
  'The refused calls changed nothing: the okx lease is still running.'
);
select ok(
  not has_function_privilege('public', 'public.acquire_venue_lease(text, text, integer)', 'EXECUTE')
  and not has_function_privilege('public', 'public.release_venue_lease(uuid, text, jsonb, text)', 'EXECUTE'),
  'PUBLIC holds no execute right on the lease functions.'
);
select ok(
  has_function_privilege('service_role', 'public.acquire_venue_lease(text, text, integer)', 'EXECUTE')
  and has_function_privilege('service_role', 'public.release_venue_lease(uuid, text, jsonb, text)', 'EXECUTE'),
  'service_role may execute both lease functions.'
);

select * from finish();
rollback;
