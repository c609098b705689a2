-- One row per round trip (entry, then exit). Quantities, prices and fees come from real (or paper) fills only.
-- Spot is long-only: a short signal without inventory is skipped, never opened.

create table public.positions (
  id uuid primary key default gen_random_uuid(),
  venue text not null constraint positions_venue_known check (venue in ('binance', 'okx')),
  symbol text not null
    constraint positions_symbol_unified check (symbol ~ '^[A-Z0-9]{2,20}/[A-Z0-9]{2,20}$'),
  side text not null default 'long' constraint positions_side_long_only check (side = 'long'),
  status text not null default 'opening'
    constraint positions_status_known check (status in ('opening', 'open', 'closing', 'closed', 'failed')),
  mode text not null constraint positions_mode_known check (mode in ('paper', 'testnet', 'live')),

  entry_qty numeric not null default 0 constraint positions_entry_qty_nonnegative check (entry_qty >= 0),
  entry_avg_px numeric constraint positions_entry_avg_px_positive check (entry_avg_px > 0),
  -- Fees in the quote currency (USDT). Not forced non-negative: a maker rebate is a negative fee.
  entry_fees_usd numeric not null default 0,
  exit_qty numeric not null default 0 constraint positions_exit_qty_nonnegative check (exit_qty >= 0),
  exit_avg_px numeric constraint positions_exit_avg_px_positive check (exit_avg_px > 0),
  exit_fees_usd numeric not null default 0,
  realized_pnl numeric,
  exit_reason text
    constraint positions_exit_reason_known
    check (exit_reason in ('take_profit', 'stop_loss', 'time_stop', 'kill_switch', 'manual')),

  opened_at timestamptz not null default now(),
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  -- Never sell more than was bought.
  constraint positions_exit_qty_within_entry check (exit_qty <= entry_qty),
  -- A filled quantity always has the price it filled at.
  constraint positions_entry_px_with_qty check (entry_qty = 0 or entry_avg_px is not null),
  constraint positions_exit_px_with_qty check (exit_qty = 0 or exit_avg_px is not null),
  -- An open position holds something.
  constraint positions_open_has_entry check (status not in ('open', 'closing') or entry_qty > 0),
  -- Final states, and only they, have closed_at; a closed round trip always says why and what it made.
  constraint positions_closed_at_iff_final check ((status in ('closed', 'failed')) = (closed_at is not null)),
  constraint positions_closed_has_result
    check (status <> 'closed' or (exit_reason is not null and realized_pnl is not null and entry_qty > 0)),
  constraint positions_closed_after_opened check (closed_at is null or closed_at >= opened_at)
);

comment on table public.positions is 'One row per round trip; every figure comes from fills.';
comment on column public.positions.realized_pnl is
  'USDT: exit proceeds - entry cost - all fees, from fills; null until closed.';

create index positions_not_final_idx on public.positions (venue, symbol)
  where status in ('opening', 'open', 'closing');
create index positions_opened_at_idx on public.positions (opened_at desc);
create index positions_closed_at_idx on public.positions (closed_at desc) where closed_at is not null;

create trigger positions_set_updated_at
  before update on public.positions
  for each row execute function public.set_updated_at();

alter table public.positions enable row level security;

create policy positions_select_authenticated on public.positions
  for select to authenticated using (true);

revoke all on table public.positions from anon;
revoke all on table public.positions from authenticated;
grant select on table public.positions to authenticated;
revoke all on table public.positions from service_role;
grant select, insert, update, delete on table public.positions to service_role;
