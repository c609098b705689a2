-- The one settings row (id = 1): mode, the Start/Stop switch, symbols, latency bands, risk limits, exits, sampling
-- and retention. Seeded with the legacy bot's constants. Functions validate it again with zod when they read it.

-- Checks the latency band list: 1..4 objects, known distinct names, numbers in range, max_ms ascending and null on
-- the last band only ("everything slower"). plpgsql so each cast happens only after its type check.
create function public.latency_bands_are_valid(bands jsonb) returns boolean
language plpgsql
immutable
set search_path = ''
as $$
declare
  band jsonb;
  position_in_list integer := 0;
  band_count integer;
  seen_names text[] := '{}';
  previous_max_ms numeric;
begin
  if bands is null or jsonb_typeof(bands) <> 'array' then
    return false;
  end if;
  band_count := jsonb_array_length(bands);
  if band_count < 1 or band_count > 4 then
    return false;
  end if;
  for band in select value from jsonb_array_elements(bands) loop
    position_in_list := position_in_list + 1;
    if jsonb_typeof(band) <> 'object'
      or jsonb_typeof(band -> 'name') is distinct from 'string'
      or (band ->> 'name') not in ('aggressive', 'normal', 'cautious', 'defensive')
      or (band ->> 'name') = any (seen_names)
      or jsonb_typeof(band -> 'min_spread_pct') is distinct from 'number'
      or jsonb_typeof(band -> 'size_usd') is distinct from 'number'
      or jsonb_typeof(band -> 'throttle') is distinct from 'number'
      or jsonb_typeof(band -> 'max_ms') not in ('number', 'null') then
      return false;
    end if;
    if (band ->> 'min_spread_pct')::numeric < 0
      or (band ->> 'size_usd')::numeric <= 0
      or (band ->> 'throttle')::numeric <= 0
      or (band ->> 'throttle')::numeric > 1 then
      return false;
    end if;
    if position_in_list = band_count then
      if jsonb_typeof(band -> 'max_ms') <> 'null' then
        return false;
      end if;
    else
      if jsonb_typeof(band -> 'max_ms') <> 'number'
        or (band ->> 'max_ms')::numeric <= 0
        or (previous_max_ms is not null and (band ->> 'max_ms')::numeric <= previous_max_ms) then
        return false;
      end if;
      previous_max_ms := (band ->> 'max_ms')::numeric;
    end if;
    seen_names := seen_names || (band ->> 'name');
  end loop;
  return true;
end;
$$;

comment on function public.latency_bands_are_valid(jsonb) is 'Check constraint helper for bot_settings.latency_bands.';

revoke all on function public.latency_bands_are_valid(jsonb) from public, anon, authenticated;
-- Whoever writes the row runs the check constraint, so the writer needs to be able to call it.
grant execute on function public.latency_bands_are_valid(jsonb) to service_role;

create table public.bot_settings (
  id smallint primary key default 1 constraint bot_settings_single_row check (id = 1),
  mode text not null default 'paper' constraint bot_settings_mode_known check (mode in ('paper', 'testnet', 'live')),
  -- The dashboard's Start/Stop: false stops new entries within one tick.
  trading_enabled boolean not null default true,
  -- The settings half of the live opt-in (the other half is ALLOW_LIVE_TRADING in the function env).
  live_trading_enabled boolean not null default false,
  symbols text[] not null default array['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT']
    constraint bot_settings_symbols_shape check (
      array_ndims(symbols) = 1
      and cardinality(symbols) between 1 and 50
      and array_position(symbols, null) is null
      and array_to_string(symbols, ',') ~ '^[A-Z0-9]{2,20}/[A-Z0-9]{2,20}(,[A-Z0-9]{2,20}/[A-Z0-9]{2,20})*$'
    ),
  latency_bands jsonb not null default '[
      {"name": "aggressive", "max_ms": 40, "min_spread_pct": 0.03, "size_usd": 600, "throttle": 1.0},
      {"name": "normal", "max_ms": 70, "min_spread_pct": 0.05, "size_usd": 550, "throttle": 0.9},
      {"name": "cautious", "max_ms": 85, "min_spread_pct": 0.07, "size_usd": 500, "throttle": 0.7},
      {"name": "defensive", "max_ms": null, "min_spread_pct": 0.10, "size_usd": 350, "throttle": 0.5}
    ]'::jsonb
    constraint bot_settings_latency_bands_valid check (public.latency_bands_are_valid(latency_bands)),

  latency_window integer not null default 200
    constraint bot_settings_latency_window_range check (latency_window between 1 and 10000),
  latency_failure_ratio_defensive numeric not null default 0.5
    constraint bot_settings_latency_failure_ratio_defensive_range
    check (latency_failure_ratio_defensive > 0 and latency_failure_ratio_defensive <= 1),
  latency_samples_per_call integer not null default 5
    constraint bot_settings_latency_samples_per_call_range check (latency_samples_per_call between 1 and 50),
  latency_sample_spacing_ms integer not null default 200
    constraint bot_settings_latency_sample_spacing_ms_range check (latency_sample_spacing_ms between 0 and 10000),

  max_trades_per_day integer not null default 250
    constraint bot_settings_max_trades_per_day_range check (max_trades_per_day between 0 and 100000),
  max_daily_loss_usd numeric not null default 50
    constraint bot_settings_max_daily_loss_usd_range check (max_daily_loss_usd > 0 and max_daily_loss_usd <= 1000000),
  max_open_positions integer not null default 4
    constraint bot_settings_max_open_positions_range check (max_open_positions between 0 and 1000),
  max_order_usd numeric not null default 600
    constraint bot_settings_max_order_usd_range check (max_order_usd > 0 and max_order_usd <= 1000000),
  min_order_balance_usdt numeric not null default 10
    constraint bot_settings_min_order_balance_usdt_range check (min_order_balance_usdt >= 0),
  balance_use_fraction numeric not null default 0.95
    constraint bot_settings_balance_use_fraction_range check (balance_use_fraction > 0 and balance_use_fraction <= 1),

  momentum_window integer not null default 10
    constraint bot_settings_momentum_window_range check (momentum_window between 2 and 1000),
  momentum_min_samples integer not null default 5
    constraint bot_settings_momentum_min_samples_range check (momentum_min_samples >= 2),
  momentum_min_pct numeric not null default 0.01
    constraint bot_settings_momentum_min_pct_range check (momentum_min_pct >= 0 and momentum_min_pct <= 100),
  drawdown_throttle_floor numeric not null default 0.4
    constraint bot_settings_drawdown_throttle_floor_range
    check (drawdown_throttle_floor >= 0 and drawdown_throttle_floor <= 1),
  drawdown_throttle_slope numeric not null default 0.6
    constraint bot_settings_drawdown_throttle_slope_range
    check (drawdown_throttle_slope >= 0 and drawdown_throttle_slope <= 10),

  take_profit_pct numeric not null default 0.2
    constraint bot_settings_take_profit_pct_range check (take_profit_pct > 0 and take_profit_pct <= 100),
  stop_loss_pct numeric not null default 0.2
    constraint bot_settings_stop_loss_pct_range check (stop_loss_pct > 0 and stop_loss_pct < 100),
  time_stop_seconds integer not null default 180
    constraint bot_settings_time_stop_seconds_range check (time_stop_seconds between 1 and 86400),
  entry_timeout_seconds integer not null default 15
    constraint bot_settings_entry_timeout_seconds_range check (entry_timeout_seconds between 1 and 3600),
  burst_tick_ms integer not null default 1000
    constraint bot_settings_burst_tick_ms_range check (burst_tick_ms between 100 and 60000),

  paper_starting_usdt numeric not null default 10000
    constraint bot_settings_paper_starting_usdt_range check (paper_starting_usdt >= 0),
  balance_snapshot_minutes integer not null default 60
    constraint bot_settings_balance_snapshot_minutes_range check (balance_snapshot_minutes between 1 and 10080),
  latency_retention_days integer not null default 7
    constraint bot_settings_latency_retention_days_range check (latency_retention_days between 1 and 3650),
  run_log_retention_days integer not null default 14
    constraint bot_settings_run_log_retention_days_range check (run_log_retention_days between 1 and 3650),

  updated_at timestamptz not null default now(),

  -- The momentum buffer never holds more than momentum_window mids.
  constraint bot_settings_momentum_min_samples_within_window check (momentum_min_samples <= momentum_window)
);

comment on table public.bot_settings is 'Exactly one row (id = 1); only the service role changes it.';
comment on column public.bot_settings.trading_enabled is 'Start/Stop: false stops new entries within one tick.';
comment on column public.bot_settings.latency_bands is
  'Ordered by max_ms ascending; the last band has max_ms null and catches every slower average.';

insert into public.bot_settings (id) values (1) on conflict (id) do nothing;

create trigger bot_settings_set_updated_at
  before update on public.bot_settings
  for each row execute function public.set_updated_at();

alter table public.bot_settings enable row level security;

create policy bot_settings_select_authenticated on public.bot_settings
  for select to authenticated using (true);

revoke all on table public.bot_settings from anon;
revoke all on table public.bot_settings from authenticated;
grant select on table public.bot_settings to authenticated;
-- The service role may update or upsert the row (the id check keeps it single) but never delete it.
revoke all on table public.bot_settings from service_role;
grant select, insert, update on table public.bot_settings to service_role;
