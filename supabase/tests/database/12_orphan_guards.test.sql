-- Issue 14 in the database: a mode switch or a lower paper_starting_usdt that would orphan open positions is refused
-- with the reason, the daily counters count every entry sent, dead runs without a lease are expired by the next run,
-- and the manual ways out of a stuck position are for the service role only. Everything is rolled back.
begin;
select plan(13);

update public.bot_settings set mode = 'testnet', paper_starting_usdt = 10000 where id = 1;
insert into public.positions (id, venue, symbol, mode, status, entry_qty, entry_avg_px)
values ('00000000-0000-4000-8000-0000000000c1', 'binance', 'ETH/USDT', 'testnet', 'open', 0.2, 3000);

select throws_like(
  $$update public.bot_settings set mode = 'paper' where id = 1$$,
  '%cannot switch from testnet to paper: 1 testnet position(s) and 0 order(s) still active%',
  'A mode switch that would hide an open testnet position is refused, naming it.'
);
update public.positions set status = 'closed', exit_reason = 'manual', realized_pnl = 0, closed_at = now()
 where id = '00000000-0000-4000-8000-0000000000c1';
select lives_ok($$update public.bot_settings set mode = 'paper' where id = 1$$, 'Once it is closed, the switch is allowed.');

-- An open paper position whose entry cost 600 USDT.
insert into public.positions (id, venue, symbol, mode, status, entry_qty, entry_avg_px)
values ('00000000-0000-4000-8000-0000000000c2', 'binance', 'ETH/USDT', 'paper', 'open', 0.2, 3000);
insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, filled, cost, average, purpose,
                           position_id, mode, order_status)
values ('og-entry-1', 'binance', 'ETH/USDT', 'buy', 'limit', 3000, 0.2, 0.2, 600, 3000, 'entry',
        '00000000-0000-4000-8000-0000000000c2', 'paper', 'filled');
select throws_like(
  $$update public.bot_settings set paper_starting_usdt = 500 where id = 1$$,
  '%paper_starting_usdt: 500 is below the 600.00 USDT open paper positions use%',
  'paper_starting_usdt below what open paper positions use is refused, with the amount.'
);
select lives_ok($$update public.bot_settings set paper_starting_usdt = 600 where id = 1$$, 'Exactly that much is allowed.');

-- A timed-out entry (cancelled unfilled) counts; one the venue refused does not.
insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, mode, order_status)
values ('og-timeout', 'binance', 'ETH/USDT', 'buy', 'limit', 3000, 0.2, 'entry', 'paper', 'cancelled'),
       ('og-refused', 'binance', 'ETH/USDT', 'buy', 'limit', 3000, 0.2, 'entry', 'paper', 'rejected');
select is(
  (public.daily_trade_stats('paper', now() - interval '1 hour') ->> 'entries')::int, 2,
  'daily_trade_stats counts the filled and the timed-out entry, not the refused one.'
);
select is(
  (public.daily_trade_stats('paper', now() - interval '1 hour') ->> 'open_positions')::int, 1,
  'daily_trade_stats counts the active positions of the mode.'
);

-- A dead run (no lease, never finished) is expired by the next run of the same function.
insert into public.function_runs (id, function_name, started_at, outcome)
values ('00000000-0000-4000-8000-0000000000d1', 'balance-sync', now() - interval '1 hour', 'running'),
       ('00000000-0000-4000-8000-0000000000d2', 'balance-sync', now() - interval '5 minutes', 'running');
insert into public.function_runs (function_name, started_at, outcome) values ('balance-sync', now(), 'running');
select is(
  (select outcome from public.function_runs where id = '00000000-0000-4000-8000-0000000000d1'), 'abandoned',
  'A run still running 15 minutes after it started is marked abandoned by the next run.'
);
select matches(
  (select error from public.function_runs where id = '00000000-0000-4000-8000-0000000000d1'), 'expired: no finish',
  'with the reason.'
);
select is(
  (select outcome from public.function_runs where id = '00000000-0000-4000-8000-0000000000d2'), 'running',
  'A run five minutes old may still be alive: left running.'
);

select ok(
  not has_function_privilege('authenticated', 'public.mark_position_handled(uuid, numeric, text)', 'EXECUTE')
  and not has_function_privilege('anon', 'public.retry_position_exit(uuid)', 'EXECUTE')
  and has_function_privilege('service_role', 'public.mark_position_handled(uuid, numeric, text)', 'EXECUTE'),
  'The manual ways out are for the service role only.'
);
select lives_ok(
  $$select public.mark_position_handled('00000000-0000-4000-8000-0000000000c2', -1.5, 'sold by hand')$$,
  'mark_position_handled closes an active position with the stated PnL.'
);
select is(
  (select status || ' ' || exit_reason || ' ' || realized_pnl::text from public.positions
    where id = '00000000-0000-4000-8000-0000000000c2'),
  'closed manual -1.5',
  'It is closed, manual, with that PnL.'
);
select throws_like(
  $$select public.mark_position_handled('00000000-0000-4000-8000-0000000000c2', 0, 'again')$$,
  '%no active position%',
  'A position that is not active cannot be marked again.'
);

select * from finish();
rollback;
