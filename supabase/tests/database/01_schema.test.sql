-- Schema: the tables, the columns other code relies on, the seeded rows, indexes, triggers and the lease functions.
begin;
select plan(58);

-- has_table rather than tables_are: other migrations may add tables (02_rls checks every table generically).
select has_table('public', t, format('public.%s exists.', t))
  from unnest(array[
    'exchange_connections', 'balance_history', 'latency_logs', 'orders', 'positions', 'trade_logs', 'bot_settings',
    'function_runs'
  ]) as t;

-- Legacy dashboard columns keep their names.
select has_column('public', 'exchange_connections', 'exchange_name', 'exchange_connections keeps legacy exchange_name.');
select has_column('public', 'exchange_connections', 'balance_usdt', 'exchange_connections keeps legacy balance_usdt.');
select has_column(
  'public', 'exchange_connections', 'last_balance_update', 'exchange_connections keeps legacy last_balance_update.'
);
select has_column('public', 'exchange_connections', 'is_active', 'exchange_connections keeps legacy is_active.');
select columns_are(
  'public', 'latency_logs', array['id', 'venue', 'latency_ms', 'success', 'error', 'ts', 'region'],
  'latency_logs has the legacy venue, latency_ms, ts plus success and error.'
);
select columns_are(
  'public', 'trade_logs',
  array[
    'id', 'ts', 'venue', 'symbol', 'side', 'size_usd', 'entry_px', 'exit_px', 'pnl', 'dur_seconds', 'order_id',
    'order_status', 'position_id', 'fees_usd'
  ],
  'trade_logs has the legacy columns plus order_status, position_id and fees_usd.'
);

-- Columns the functions write, named as in docs/CONTRACTS.md.
select columns_are(
  'public', 'exchange_connections',
  array[
    'id', 'exchange_name', 'is_active', 'balance_usdt', 'balance_usdt_free', 'balance_usdt_used', 'balances',
    'balance_status', 'balance_source', 'last_balance_update', 'last_balance_attempt', 'last_error', 'latency_last_ms',
    'latency_avg_ms', 'latency_max_ms', 'latency_band', 'latency_updated_at', 'created_at', 'updated_at'
  ],
  'exchange_connections has the balance and latency columns of the contract.'
);
select columns_are(
  'public', 'orders',
  array[
    'id', 'client_order_id', 'exchange_order_id', 'venue', 'symbol', 'side', 'type', 'price', 'amount', 'filled',
    'remaining', 'average', 'cost', 'fee_cost', 'fee_currency', 'order_status', 'purpose', 'position_id', 'mode',
    'last_error', 'raw', 'created_at', 'submitted_at', 'updated_at', 'closed_at', 'fee_rate_used', 'fee_valued_usd',
    'trigger_price', 'list_client_id', 'exchange_list_id'
  ],
  'orders has the lifecycle columns of the contract.'
);
select columns_are(
  'public', 'function_runs',
  array[
    'id', 'function_name', 'venue', 'started_at', 'finished_at', 'lease_expires_at', 'outcome', 'summary', 'error',
    'duration_ms'
  ],
  'function_runs has the run log and lease columns of the contract.'
);
select columns_are(
  'public', 'bot_settings',
  array[
    'id', 'mode', 'trading_enabled', 'live_trading_enabled', 'symbols', 'latency_bands', 'latency_window',
    'latency_failure_ratio_defensive', 'latency_samples_per_call', 'latency_sample_spacing_ms', 'max_trades_per_day',
    'max_daily_loss_usd', 'max_open_positions', 'max_open_positions_per_venue', 'max_order_usd', 'min_order_balance_usdt', 'balance_use_fraction',
    'momentum_window', 'momentum_min_samples', 'momentum_min_pct', 'drawdown_throttle_floor',
    'drawdown_throttle_slope', 'take_profit_pct', 'stop_loss_pct', 'time_stop_seconds', 'entry_timeout_seconds',
    'burst_tick_ms', 'paper_starting_usdt', 'balance_snapshot_minutes', 'latency_retention_days',
    'run_log_retention_days', 'exit_protection', 'market_data', 'book_updates', 'updated_at',
    -- issue 18 (read by _shared/regions/region_settings.ts)
    'candidate_regions', 'project_region', 'home_region_overrides', 'home_region_min_samples',
    'home_region_margin_pct', 'home_region_max_age_seconds'
  ],
  'bot_settings has exactly the columns the settings module reads.'
);
select col_type_is('public', 'bot_settings', 'symbols', 'text[]', 'bot_settings.symbols is a text array.');
select col_type_is('public', 'bot_settings', 'latency_bands', 'jsonb', 'bot_settings.latency_bands is jsonb.');
select col_type_is('public', 'bot_settings', 'id', 'smallint', 'bot_settings.id is a smallint.');
select col_type_is('public', 'orders', 'client_order_id', 'text', 'orders.client_order_id is text.');
select col_type_is('public', 'positions', 'id', 'uuid', 'positions are keyed by uuid.');

-- Keys and references.
select fk_ok('public', 'orders', 'position_id', 'public', 'positions', 'id', 'orders.position_id references positions.');
select fk_ok(
  'public', 'trade_logs', 'position_id', 'public', 'positions', 'id', 'trade_logs.position_id references positions.'
);
select col_is_unique('public', 'orders', 'client_order_id', 'orders.client_order_id is unique.');
select col_is_unique(
  'public', 'orders', array['venue', 'exchange_order_id'], 'orders is unique on (venue, exchange_order_id).'
);
select col_is_unique('public', 'trade_logs', 'position_id', 'trade_logs.position_id is unique.');
select col_is_unique('public', 'exchange_connections', 'exchange_name', 'exchange_connections.exchange_name is unique.');

-- Seeded rows.
select results_eq(
  'select exchange_name, is_active, balance_status, balance_usdt from public.exchange_connections order by 1',
  $$values ('binance'::text, true, 'unknown'::text, null::numeric), ('okx', true, 'unknown', null)$$,
  'exchange_connections is seeded with binance and okx, active, balance unknown (null, never an invented 0).'
);
select results_eq('select count(*)::int from public.bot_settings', array[1], 'bot_settings holds exactly one row.');
select results_eq(
  $$select mode, trading_enabled, live_trading_enabled, symbols, max_trades_per_day, max_daily_loss_usd,
           time_stop_seconds from public.bot_settings$$,
  $$values ('paper'::text, true, false, array['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT'], 250, 50::numeric, 180)$$,
  'The settings row carries the legacy mode, symbols and risk limits (paper, 250 trades/day, 50 USD, 180 s).'
);
select is(
  (select latency_bands from public.bot_settings),
  $$[{"name": "aggressive", "max_ms": 40, "min_spread_pct": 0.03, "size_usd": 600, "throttle": 1.0},
     {"name": "normal", "max_ms": 70, "min_spread_pct": 0.05, "size_usd": 550, "throttle": 0.9},
     {"name": "cautious", "max_ms": 85, "min_spread_pct": 0.07, "size_usd": 500, "throttle": 0.7},
     {"name": "defensive", "max_ms": null, "min_spread_pct": 0.10, "size_usd": 350, "throttle": 0.5}]$$::jsonb,
  'The settings row carries the legacy four latency bands, the last one open-ended.'
);
select results_eq(
  $$select latency_window, latency_failure_ratio_defensive, latency_samples_per_call, latency_sample_spacing_ms,
           max_open_positions, max_order_usd, min_order_balance_usdt, balance_use_fraction, momentum_window,
           momentum_min_samples, momentum_min_pct, drawdown_throttle_floor, drawdown_throttle_slope, take_profit_pct,
           stop_loss_pct, entry_timeout_seconds, burst_tick_ms, paper_starting_usdt, balance_snapshot_minutes,
           latency_retention_days, run_log_retention_days
      from public.bot_settings$$,
  $$values (200, 0.5::numeric, 5, 200, 4, 600::numeric, 10::numeric, 0.95::numeric, 10, 5, 0.01::numeric,
            0.4::numeric, 0.6::numeric, 0.2::numeric, 0.2::numeric, 15, 1000, 10000::numeric, 60, 7, 14)$$,
  'The remaining settings have the agreed defaults.'
);

-- Indexes the functions and the dashboard query by.
select has_index(
  'public', 'function_runs', 'function_runs_one_running_lease_per_venue', 'The lease has its partial unique index.'
);
select index_is_unique(
  'public', 'function_runs', 'function_runs_one_running_lease_per_venue', 'The lease index is unique.'
);
select has_index('public', 'function_runs', 'function_runs_started_at_idx', 'Runs are indexed by started_at.');
select has_index('public', 'latency_logs', 'latency_logs_venue_ts_idx', 'Latency samples are indexed by venue and time.');
select has_index('public', 'orders', 'orders_not_final_idx', 'Orders that are not final have their own index.');
select has_index('public', 'positions', 'positions_not_final_idx', 'Positions that are not final have their own index.');
select has_index('public', 'balance_history', 'balance_history_exchange_name_ts_idx', 'Snapshots are indexed by venue and time.');

-- updated_at triggers.
select has_trigger('public', 'exchange_connections', 'exchange_connections_set_updated_at', 'exchange_connections stamps updated_at.');
select has_trigger('public', 'orders', 'orders_set_updated_at', 'orders stamps updated_at.');
select has_trigger('public', 'positions', 'positions_set_updated_at', 'positions stamps updated_at.');
select has_trigger('public', 'bot_settings', 'bot_settings_set_updated_at', 'bot_settings stamps updated_at.');
update public.exchange_connections set updated_at = '2000-01-01T00:00:00Z', is_active = false where exchange_name = 'okx';
select is(
  (select updated_at from public.exchange_connections where exchange_name = 'okx'), now(),
  'An update stamps updated_at with the current time even when the writer sends another value.'
);

-- Lease functions: definer rights, pinned search_path.
select has_function(
  'public', 'acquire_venue_lease', array['text', 'text', 'integer'], 'acquire_venue_lease(text, text, integer) exists.'
);
select has_function(
  'public', 'release_venue_lease', array['uuid', 'text', 'jsonb', 'text'],
  'release_venue_lease(uuid, text, jsonb, text) exists.'
);
select function_returns(
  'public', 'acquire_venue_lease', array['text', 'text', 'integer'], 'uuid', 'acquire_venue_lease returns the run id.'
);
select function_returns(
  'public', 'release_venue_lease', array['uuid', 'text', 'jsonb', 'text'], 'void', 'release_venue_lease returns nothing.'
);
select is_definer(
  'public', 'acquire_venue_lease', array['text', 'text', 'integer'], 'acquire_venue_lease runs with definer rights.'
);
select is_definer(
  'public', 'release_venue_lease', array['uuid', 'text', 'jsonb', 'text'], 'release_venue_lease runs with definer rights.'
);
select is_empty(
  $$select p.oid::regprocedure::text
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and p.prosecdef
       and not coalesce('search_path=""' = any (p.proconfig), false)$$,
  'Every security definer function in public pins search_path to the empty string.'
);
select is_empty(
  $$select p.oid::regprocedure::text
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       and not coalesce('search_path=""' = any (p.proconfig), false)$$,
  'Every function of ours in public pins search_path to the empty string.'
);

select col_default_is('public', 'bot_settings', 'market_data', 'stream', 'bot_settings.market_data defaults to stream.');
select throws_ok(
  $$update public.bot_settings set market_data = 'carrier-pigeon' where id = 1$$,
  '23514',
  null,
  'bot_settings.market_data accepts only stream or poll.'
);
select col_default_is(
  'public', 'bot_settings', 'book_updates', 'conflated', 'bot_settings.book_updates defaults to conflated.'
);
select throws_ok(
  $$update public.bot_settings set book_updates = 'sometimes' where id = 1$$,
  '23514',
  null,
  'bot_settings.book_updates accepts only conflated or every_change.'
);

select * from finish();
rollback;
