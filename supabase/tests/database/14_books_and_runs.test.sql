-- Issue 14 leftovers in the database: dust is booked on closed positions (valued whole or not at all), members read
-- the dust held and today's figures aggregated in SQL (no row cap), and the start of any function's run finishes the
-- dead runs of every function. Everything is rolled back.
begin;
select plan(19);

-- Dust: a valuation is whole or absent, and only closed positions carry dust.
insert into public.positions (id, venue, symbol, mode, status, entry_qty, entry_avg_px)
values ('00000000-0000-4000-8000-0000000000e1', 'binance', 'ETH/USDT', 'paper', 'open', 0.2, 3000);
select throws_ok(
  $$update public.positions set dust_qty = 0.0001 where id = '00000000-0000-4000-8000-0000000000e1'$$,
  '23514', null, 'An open position has no dust yet.'
);
update public.positions
   set status = 'closed', exit_reason = 'take_profit', realized_pnl = 1.5, closed_at = now(), exit_qty = 0.1998,
       exit_avg_px = 3010, dust_qty = 0.0002, dust_cost_usd = 0.6
 where id = '00000000-0000-4000-8000-0000000000e1';
select throws_ok(
  $$update public.positions set dust_px = 3010 where id = '00000000-0000-4000-8000-0000000000e1'$$,
  '23514', null, 'A price without its time, source and value is refused.'
);
select lives_ok(
  $$update public.positions set dust_px = 3010, dust_priced_at = now(), dust_price_source = 'bid',
           dust_value_usd = 0.602 where id = '00000000-0000-4000-8000-0000000000e1'$$,
  'A whole valuation is accepted.'
);
select throws_ok(
  $$update public.positions set dust_price_source = 'entry_cost' where id = '00000000-0000-4000-8000-0000000000e1'$$,
  '23514', null, 'Cost is not a market price source.'
);
-- A second ETH position whose dust could not be priced, and one closed before the dust books (not assessed).
insert into public.positions (venue, symbol, mode, status, entry_qty, entry_avg_px, exit_qty, exit_avg_px,
                              realized_pnl, exit_reason, closed_at, dust_qty, dust_cost_usd)
values ('binance', 'ETH/USDT', 'paper', 'closed', 0.1, 3000, 0.0999, 3005, 0.2, 'time_stop', now(), 0.0001, 0.3),
       ('binance', 'ETH/USDT', 'paper', 'closed', 0.1, 3000, 0.1, 3005, 0.1, 'time_stop', now(), null, null),
       ('okx', 'BTC/USDT', 'testnet', 'closed', 0.01, 60000, 0.01, 60100, 0.5, 'take_profit', now(), 0, 0);

insert into public.members (user_id, role) values ('aaaaaaaa-0000-4000-8000-0000000000e1', 'viewer');

set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-0000000000e9"}';
select throws_ok('select * from public.dust_holdings(''paper'')', '42501', null, 'A non-member cannot read dust.');
select throws_ok(
  $$select public.dashboard_daily_stats('paper', now() - interval '1 day')$$, '42501', null,
  'A non-member cannot read the daily figures.'
);
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-0000000000e1"}';
select results_eq(
  $$select venue, symbol, positions, dust_qty, dust_cost_usd, valued_qty, dust_value_usd, unvalued_positions,
           unvalued_qty, last_px, unassessed_positions from public.dust_holdings('paper')$$,
  $$values ('binance'::text, 'ETH/USDT'::text, 2::bigint, 0.0003::numeric, 0.9::numeric, 0.0002::numeric,
            0.602::numeric, 1::bigint, 0.0001::numeric, 3010::numeric, 1::bigint)$$,
  'A member reads the dust per venue and symbol: valued, unvalued and not assessed apart.'
);
select is_empty($$select * from public.dust_holdings('testnet')$$, 'A position that left no dust adds no row.');
select is(
  (public.dashboard_daily_stats('paper', now() - interval '1 day') ->> 'realized_pnl')::numeric, 1.8,
  'A member reads today''s realized PnL, summed in SQL.'
);
select is(
  (public.dashboard_daily_stats('paper', now() - interval '1 day') ->> 'closed_positions')::int, 3,
  'and how many positions closed.'
);
reset role;

set local role anon;
select throws_ok('select * from public.dust_holdings(''paper'')', '42501', null, 'anon cannot call dust_holdings.');
reset role;

-- Dead runs of every function are finished by the start of any function's run.
delete from public.function_runs;
insert into public.function_runs (id, function_name, venue, started_at, lease_expires_at, outcome) values
  ('00000000-0000-4000-8000-0000000000f1', 'trade-burst', 'okx', now() - interval '3 hours',
   now() - interval '3 hours' + interval '75 seconds', 'running'),
  ('00000000-0000-4000-8000-0000000000f3', 'trade-burst', 'binance', now(), now() + interval '60 seconds', 'running');
insert into public.function_runs (id, function_name, started_at, outcome) values
  ('00000000-0000-4000-8000-0000000000f2', 'balance-sync', now() - interval '1 hour', 'running'),
  ('00000000-0000-4000-8000-0000000000f4', 'latency-sample', now() - interval '5 minutes', 'running');
-- latency-sample starts: a different function from both dead runs.
insert into public.function_runs (function_name, started_at, outcome) values ('latency-sample', now(), 'running');

select results_eq(
  $$select outcome, error, finished_at from public.function_runs where id = '00000000-0000-4000-8000-0000000000f1'$$,
  $$values ('abandoned'::text, 'lease expired'::text, now() - interval '3 hours' + interval '75 seconds')$$,
  'Another function''s start finishes a burst''s expired lease on another venue, at its expiry.'
);
select results_eq(
  $$select outcome, finished_at from public.function_runs where id = '00000000-0000-4000-8000-0000000000f2'$$,
  $$values ('abandoned'::text, now() - interval '1 hour' + interval '15 minutes')$$,
  'and another function''s run dead for an hour, 15 minutes after its start.'
);
select matches(
  (select error from public.function_runs where id = '00000000-0000-4000-8000-0000000000f2'), 'expired: no finish',
  'with the reason.'
);
select is(
  (select outcome from public.function_runs where id = '00000000-0000-4000-8000-0000000000f3'), 'running',
  'A live lease is left alone.'
);
select is(
  (select outcome from public.function_runs where id = '00000000-0000-4000-8000-0000000000f4'), 'running',
  'A run five minutes old may still be alive: left running.'
);

-- The daily prune finishes a dead run without a lease even when no function starts.
insert into public.function_runs (id, function_name, started_at, outcome)
values ('00000000-0000-4000-8000-0000000000f5', 'balance-sync', now(), 'running');
update public.function_runs set started_at = now() - interval '2 hours' where id = '00000000-0000-4000-8000-0000000000f5';
select is(
  (public.prune_old_rows() ->> 'dead_runs_abandoned')::int, 1, 'prune_old_rows finishes the dead run itself.'
);
select is(
  (select outcome from public.function_runs where id = '00000000-0000-4000-8000-0000000000f5'), 'abandoned',
  'It is abandoned.'
);
select ok(
  (select count(*) = 0 from pg_proc where proname in ('dust_holdings', 'dashboard_daily_stats')
      and not (prosecdef and proconfig = array['search_path=""'])),
  'The members'' read functions are security definer with an empty search_path.'
);

select * from finish();
rollback;
