-- Constraints: bad rows are refused by the database itself, whatever code writes them.
-- SQLSTATEs: 23514 check_violation, 23505 unique_violation, 23503 foreign_key_violation, 23502 not_null_violation.
begin;
select plan(67);

-- Fixtures (as the owner): one position and one order to collide with.
insert into public.positions (id, venue, symbol, mode, status, entry_qty, entry_avg_px)
values ('00000000-0000-4000-8000-0000000000a1', 'binance', 'BTC/USDT', 'paper', 'open', 0.01, 60000);
insert into public.orders (client_order_id, exchange_order_id, venue, symbol, side, type, price, amount, purpose,
                           position_id, mode)
values ('cstEntry1', 'B-1', 'binance', 'BTC/USDT', 'buy', 'limit', 60000, 0.01, 'entry',
        '00000000-0000-4000-8000-0000000000a1', 'paper');

-- exchange_connections
select throws_ok(
  $$insert into public.exchange_connections (exchange_name) values ('kraken')$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_exchange_name_known"',
  'An unknown venue is refused in exchange_connections.'
);
select throws_ok(
  $$insert into public.exchange_connections (exchange_name) values ('BINANCE')$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_exchange_name_known"',
  'Venue ids are lowercase ccxt ids; BINANCE is refused.'
);
select throws_ok(
  $$insert into public.exchange_connections (exchange_name) values ('binance')$$,
  '23505', 'duplicate key value violates unique constraint "exchange_connections_exchange_name_key"',
  'A second row for the same venue is refused.'
);
select throws_ok(
  $$update public.exchange_connections set balance_usdt = -1 where exchange_name = 'okx'$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_balance_usdt_nonnegative"',
  'A negative USDT balance is refused.'
);
select throws_ok(
  $$update public.exchange_connections set balance_usdt_free = -0.01 where exchange_name = 'okx'$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_balance_usdt_free_nonnegative"',
  'A negative free USDT balance is refused.'
);
select throws_ok(
  $$update public.exchange_connections set balance_status = 'fine' where exchange_name = 'okx'$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_balance_status_known"',
  'An unknown balance status is refused.'
);
select throws_ok(
  $$update public.exchange_connections set balance_status = 'ok' where exchange_name = 'okx'$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_ok_has_balance"',
  'Status ok without a synced balance is refused.'
);
select throws_ok(
  $$update public.exchange_connections set latency_band = 'turbo' where exchange_name = 'okx'$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_latency_band_known"',
  'An unknown latency band is refused.'
);
select throws_ok(
  $$update public.exchange_connections set balances = '[]' where exchange_name = 'okx'$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_balances_object"',
  'Per-asset balances must be a JSON object.'
);
select throws_ok(
  $$update public.exchange_connections set balance_source = 'guess' where exchange_name = 'okx'$$,
  '23514', 'new row for relation "exchange_connections" violates check constraint "exchange_connections_balance_source_known"',
  'An unknown balance source is refused.'
);

-- balance_history
select throws_ok(
  $$insert into public.balance_history (exchange_name, balance_usdt, source) values ('okx', -5, 'exchange')$$,
  '23514', 'new row for relation "balance_history" violates check constraint "balance_history_balance_usdt_nonnegative"',
  'A negative snapshot balance is refused.'
);
select throws_ok(
  $$insert into public.balance_history (exchange_name, balance_usdt, source) values ('okx', 5, 'memory')$$,
  '23514', 'new row for relation "balance_history" violates check constraint "balance_history_source_known"',
  'An unknown snapshot source is refused.'
);
select throws_ok(
  $$insert into public.balance_history (exchange_name, source) values ('okx', 'exchange')$$,
  '23502', 'null value in column "balance_usdt" of relation "balance_history" violates not-null constraint',
  'A snapshot without a balance is refused.'
);

-- latency_logs
select throws_ok(
  $$insert into public.latency_logs (venue, latency_ms, success) values ('okx', 999, false)$$,
  '23514', 'new row for relation "latency_logs" violates check constraint "latency_logs_latency_iff_success"',
  'A failed sample with an invented latency is refused.'
);
select throws_ok(
  $$insert into public.latency_logs (venue, latency_ms, success) values ('okx', null, true)$$,
  '23514', 'new row for relation "latency_logs" violates check constraint "latency_logs_latency_iff_success"',
  'A successful sample without a latency is refused.'
);
select throws_ok(
  $$insert into public.latency_logs (venue, latency_ms, success) values ('okx', -1, true)$$,
  '23514', 'new row for relation "latency_logs" violates check constraint "latency_logs_latency_ms_nonnegative"',
  'A negative latency is refused.'
);
select throws_ok(
  $$insert into public.latency_logs (venue, latency_ms, success) values ('ftx', 10, true)$$,
  '23514', 'new row for relation "latency_logs" violates check constraint "latency_logs_venue_known"',
  'An unknown venue is refused in latency_logs.'
);
select lives_ok(
  $$insert into public.latency_logs (venue, latency_ms, success, error) values ('okx', null, false, 'timeout')$$,
  'A failed sample with a null latency and an error is accepted.'
);

-- orders
select throws_ok(
  $$insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, mode)
    values ('cstEntry1', 'okx', 'ETH/USDT', 'buy', 'limit', 3000, 0.1, 'entry', 'paper')$$,
  '23505', 'duplicate key value violates unique constraint "orders_client_order_id_unique"',
  'A reused client_order_id is refused.'
);
select throws_ok(
  $$insert into public.orders (client_order_id, exchange_order_id, venue, symbol, side, type, price, amount, purpose,
                               mode)
    values ('cstEntry2', 'B-1', 'binance', 'BTC/USDT', 'buy', 'limit', 60000, 0.01, 'entry', 'paper')$$,
  '23505', 'duplicate key value violates unique constraint "orders_venue_exchange_order_id_unique"',
  'A reused exchange order id on the same venue is refused.'
);
select lives_ok(
  $$insert into public.orders (client_order_id, exchange_order_id, venue, symbol, side, type, price, amount, purpose,
                               mode)
    values ('cstEntry3', 'B-1', 'okx', 'BTC/USDT', 'buy', 'limit', 60000, 0.01, 'entry', 'paper')$$,
  'The same exchange order id on another venue is accepted.'
);
select throws_ok(
  $$update public.orders set filled = 0.02, average = 60000 where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_filled_within_amount"',
  'A fill larger than the order amount is refused.'
);
select throws_ok(
  $$update public.orders set filled = -0.001, average = 60000 where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_filled_nonnegative"',
  'A negative fill is refused.'
);
select throws_ok(
  $$update public.orders set filled = 0.005 where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_average_with_fill"',
  'A fill without its average price is refused.'
);
select throws_ok(
  $$update public.orders set amount = 0 where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_amount_positive"',
  'A zero order amount is refused.'
);
select throws_ok(
  $$update public.orders set price = 0 where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_price_positive"',
  'A zero price is refused.'
);
select throws_ok(
  $$update public.orders set price = null where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_limit_has_price"',
  'A limit order without a price is refused.'
);
select throws_ok(
  $$update public.orders set order_status = 'done' where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_order_status_known"',
  'An unknown order status is refused.'
);
select throws_ok(
  $$update public.orders set side = 'short' where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_side_known"',
  'An order side other than buy or sell is refused.'
);
select throws_ok(
  $$update public.orders set type = 'trailing_stop' where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_type_known"',
  'An order type other than limit, market or stop is refused.'
);
select throws_ok(
  $$update public.orders set purpose = 'hedge' where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_purpose_known"',
  'An order purpose other than entry, exit, take_profit or stop_loss is refused.'
);
select throws_ok(
  $$update public.orders set mode = 'demo' where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_mode_known"',
  'An unknown trading mode is refused on orders.'
);
select throws_ok(
  $$update public.orders set closed_at = now() where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_closed_at_only_final"',
  'An order that is still pending cannot be closed.'
);
select throws_ok(
  $$update public.orders set symbol = 'BTCUSDT' where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_symbol_unified"',
  'A symbol that is not a ccxt unified symbol is refused.'
);
select throws_ok(
  $$update public.orders set client_order_id = 'has space' where client_order_id = 'cstEntry1'$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_client_order_id_shape"',
  'A client order id the exchanges would refuse is refused.'
);
select throws_ok(
  $$update public.orders set position_id = '00000000-0000-4000-8000-0000000000ff' where client_order_id = 'cstEntry1'$$,
  '23503', 'insert or update on table "orders" violates foreign key constraint "orders_position_id_fkey"',
  'An order cannot point at a position that does not exist.'
);

-- positions
select throws_ok(
  $$update public.positions set side = 'short' where venue = 'binance'$$,
  '23514', 'new row for relation "positions" violates check constraint "positions_side_long_only"',
  'A short position on spot is refused.'
);
select throws_ok(
  $$update public.positions set status = 'done' where venue = 'binance'$$,
  '23514', 'new row for relation "positions" violates check constraint "positions_status_known"',
  'An unknown position status is refused.'
);
select throws_ok(
  $$update public.positions set exit_qty = 0.02, exit_avg_px = 61000 where venue = 'binance'$$,
  '23514', 'new row for relation "positions" violates check constraint "positions_exit_qty_within_entry"',
  'Selling more than was bought is refused.'
);
select throws_ok(
  $$update public.positions set entry_qty = 0 where venue = 'binance'$$,
  '23514', 'new row for relation "positions" violates check constraint "positions_open_has_entry"',
  'An open position without an entry quantity is refused.'
);
select throws_ok(
  $$update public.positions set entry_avg_px = -1 where venue = 'binance'$$,
  '23514', 'new row for relation "positions" violates check constraint "positions_entry_avg_px_positive"',
  'A negative entry price is refused.'
);
select throws_ok(
  $$update public.positions set status = 'closed', closed_at = now() where venue = 'binance'$$,
  '23514', 'new row for relation "positions" violates check constraint "positions_closed_has_result"',
  'A closed position without exit reason and PnL is refused.'
);
select throws_ok(
  $$update public.positions set status = 'closed', exit_reason = 'take_profit', realized_pnl = 1 where venue = 'binance'$$,
  '23514', 'new row for relation "positions" violates check constraint "positions_closed_at_iff_final"',
  'A closed position without closed_at is refused.'
);
select throws_ok(
  $$update public.positions set exit_reason = 'bored' where venue = 'binance'$$,
  '23514', 'new row for relation "positions" violates check constraint "positions_exit_reason_known"',
  'An unknown exit reason is refused.'
);
select lives_ok(
  $$update public.positions
       set status = 'closed', exit_qty = 0.01, exit_avg_px = 60100, exit_fees_usd = 0.6, realized_pnl = 0.4,
           exit_reason = 'take_profit', closed_at = now()
     where venue = 'binance'$$,
  'A complete close from fills is accepted.'
);

-- trade_logs
select throws_ok(
  $$insert into public.trade_logs (venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds)
    values ('binance', 'BTC/USDT', 'long', 600, 0, 60000, 0, 1)$$,
  '23514', 'new row for relation "trade_logs" violates check constraint "trade_logs_entry_px_positive"',
  'A trade log with a zero entry price is refused.'
);
select throws_ok(
  $$insert into public.trade_logs (venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds, order_status)
    values ('binance', 'BTC/USDT', 'long', 600, 60000, 60100, 1, 1, 'great')$$,
  '23514', 'new row for relation "trade_logs" violates check constraint "trade_logs_order_status_known"',
  'A trade log with an unknown order status is refused.'
);
select throws_ok(
  $$insert into public.trade_logs (venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds)
    values ('binance', 'BTC/USDT', 'long', 600, 60000, 60100, 1, -1)$$,
  '23514', 'new row for relation "trade_logs" violates check constraint "trade_logs_dur_seconds_nonnegative"',
  'A trade log with a negative duration is refused.'
);
select lives_ok(
  $$insert into public.trade_logs (venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds, position_id)
    values ('binance', 'BTC/USDT', 'long', 600, 60000, 60100, 0.4, 30, '00000000-0000-4000-8000-0000000000a1')$$,
  'The first trade log of a position is accepted.'
);
select throws_ok(
  $$insert into public.trade_logs (venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds, position_id)
    values ('binance', 'BTC/USDT', 'long', 600, 60000, 60100, 0.4, 30, '00000000-0000-4000-8000-0000000000a1')$$,
  '23505', 'duplicate key value violates unique constraint "trade_logs_position_id_unique"',
  'A second trade log for the same position is refused.'
);

-- bot_settings
select throws_ok(
  $$insert into public.bot_settings (id) values (2)$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_single_row"',
  'A second settings row is refused.'
);
select throws_ok(
  $$update public.bot_settings set mode = 'yolo'$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_mode_known"',
  'An unknown mode is refused.'
);
select throws_ok(
  $$update public.bot_settings set symbols = '{}'$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_symbols_shape"',
  'An empty symbol list is refused.'
);
select throws_ok(
  $$update public.bot_settings set symbols = '{BTCUSDT}'$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_symbols_shape"',
  'A symbol that is not BASE/QUOTE is refused in settings.'
);
select throws_ok(
  $$update public.bot_settings set max_daily_loss_usd = 0$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_max_daily_loss_usd_range"',
  'A zero daily loss limit is refused.'
);
select throws_ok(
  $$update public.bot_settings set balance_use_fraction = 1.5$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_balance_use_fraction_range"',
  'Using more than the whole balance is refused.'
);
select throws_ok(
  $$update public.bot_settings set momentum_min_samples = 11$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_momentum_min_samples_within_window"',
  'More momentum samples than the window holds is refused.'
);
select throws_ok(
  $$update public.bot_settings
       set latency_bands = '[{"name": "aggressive", "max_ms": 40, "min_spread_pct": 0.03, "size_usd": 600, "throttle": 1}]'$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_latency_bands_valid"',
  'A band list whose last band is not open-ended is refused.'
);
select throws_ok(
  $$update public.bot_settings
       set latency_bands = '[{"name": "normal", "max_ms": 70, "min_spread_pct": 0.05, "size_usd": 550, "throttle": 0.9},
                             {"name": "aggressive", "max_ms": 40, "min_spread_pct": 0.03, "size_usd": 600, "throttle": 1},
                             {"name": "defensive", "max_ms": null, "min_spread_pct": 0.1, "size_usd": 350, "throttle": 0.5}]'$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_latency_bands_valid"',
  'Bands out of max_ms order are refused.'
);
select throws_ok(
  $$update public.bot_settings
       set latency_bands = '[{"name": "defensive", "max_ms": null, "min_spread_pct": 0.1, "size_usd": 350, "throttle": 2}]'$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_latency_bands_valid"',
  'A throttle above 1 is refused.'
);
select throws_ok(
  $$update public.bot_settings set latency_bands = '[{"name": "defensive", "max_ms": null, "size_usd": 350, "throttle": 0.5}]'$$,
  '23514', 'new row for relation "bot_settings" violates check constraint "bot_settings_latency_bands_valid"',
  'A band without min_spread_pct is refused.'
);
select lives_ok(
  $$update public.bot_settings
       set latency_bands = '[{"name": "normal", "max_ms": 60, "min_spread_pct": 0.05, "size_usd": 500, "throttle": 0.9},
                             {"name": "defensive", "max_ms": null, "min_spread_pct": 0.1, "size_usd": 300, "throttle": 0.5}]'$$,
  'A shorter, well-formed band list is accepted.'
);

-- function_runs
select throws_ok(
  $$insert into public.function_runs (function_name) values ('mystery')$$,
  '23514', 'new row for relation "function_runs" violates check constraint "function_runs_function_name_known"',
  'An unknown function name is refused.'
);
select throws_ok(
  $$insert into public.function_runs (function_name, outcome) values ('trade-burst', 'ok')$$,
  '23514', 'new row for relation "function_runs" violates check constraint "function_runs_finished_iff_not_running"',
  'A finished outcome without finished_at is refused.'
);
select throws_ok(
  $$insert into public.function_runs (function_name, lease_expires_at) values ('trade-burst', now() + interval '1 minute')$$,
  '23514', 'new row for relation "function_runs" violates check constraint "function_runs_lease_has_venue"',
  'A lease without a venue is refused.'
);
select throws_ok(
  $$insert into public.function_runs (function_name, outcome, finished_at) values ('trade-burst', 'great', now())$$,
  '23514', 'new row for relation "function_runs" violates check constraint "function_runs_outcome_known"',
  'An unknown outcome is refused.'
);
select throws_ok(
  $$insert into public.function_runs (function_name, venue, lease_expires_at)
    values ('trade-burst', 'okx', now() + interval '1 minute'), ('trade-burst', 'okx', now() + interval '1 minute')$$,
  '23505', 'duplicate key value violates unique constraint "function_runs_one_running_lease_per_venue"',
  'Two running leases on one venue are refused.'
);

select * from finish();
rollback;
