-- One row per order sent or about to be sent. The row is inserted (pending_submit) before the order goes out, with
-- our client_order_id, so a crash between insert and send can be reconciled by that id.

create table public.orders (
  id uuid primary key default gen_random_uuid(),
  -- Ours; sent as ccxt clientOrderId. Charset and length fit both Binance (36) and OKX (32, alphanumeric).
  client_order_id text not null
    constraint orders_client_order_id_unique unique
    constraint orders_client_order_id_shape check (client_order_id ~ '^[A-Za-z0-9_-]{1,36}$'),
  exchange_order_id text constraint orders_exchange_order_id_not_blank check (exchange_order_id <> ''),
  venue text not null constraint orders_venue_known check (venue in ('binance', 'okx')),
  symbol text not null
    constraint orders_symbol_unified check (symbol ~ '^[A-Z0-9]{2,20}/[A-Z0-9]{2,20}$'),
  side text not null constraint orders_side_known check (side in ('buy', 'sell')),
  type text not null constraint orders_type_known check (type in ('limit', 'market')),
  price numeric constraint orders_price_positive check (price > 0),
  amount numeric not null constraint orders_amount_positive check (amount > 0),
  filled numeric not null default 0 constraint orders_filled_nonnegative check (filled >= 0),
  remaining numeric constraint orders_remaining_nonnegative check (remaining >= 0),
  average numeric constraint orders_average_positive check (average > 0),
  cost numeric constraint orders_cost_nonnegative check (cost >= 0),
  -- Not forced non-negative: a maker rebate is a negative fee.
  fee_cost numeric,
  fee_currency text,
  order_status text not null default 'pending_submit'
    constraint orders_order_status_known check (
      order_status in ('pending_submit', 'open', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired',
                       'unknown')
    ),
  purpose text not null constraint orders_purpose_known check (purpose in ('entry', 'exit')),
  position_id uuid references public.positions (id),
  mode text not null constraint orders_mode_known check (mode in ('paper', 'testnet', 'live')),
  last_error text,
  raw jsonb,

  created_at timestamptz not null default now(),
  submitted_at timestamptz,
  updated_at timestamptz not null default now(),
  closed_at timestamptz,

  constraint orders_filled_within_amount check (filled <= amount),
  constraint orders_remaining_within_amount check (remaining <= amount),
  constraint orders_limit_has_price check (type <> 'limit' or price is not null),
  -- Anything filled has the average price it filled at.
  constraint orders_average_with_fill check (filled = 0 or average is not null),
  -- The exchange order id is unique per venue (null while pending_submit, several nulls allowed).
  constraint orders_venue_exchange_order_id_unique unique (venue, exchange_order_id),
  -- Only a final order is closed.
  constraint orders_closed_at_only_final
    check (closed_at is null or order_status in ('filled', 'cancelled', 'rejected', 'expired'))
);

comment on table public.orders is 'Every order from intent to final state; raw is the exchange''s last answer.';

-- Reconciliation and exits look at orders that are not final yet.
create index orders_not_final_idx on public.orders (venue, created_at)
  where order_status in ('pending_submit', 'open', 'partially_filled', 'unknown');
create index orders_position_id_idx on public.orders (position_id);
create index orders_created_at_idx on public.orders (created_at desc);

create trigger orders_set_updated_at
  before update on public.orders
  for each row execute function public.set_updated_at();

alter table public.orders enable row level security;

create policy orders_select_authenticated on public.orders
  for select to authenticated using (true);

revoke all on table public.orders from anon;
revoke all on table public.orders from authenticated;
grant select on table public.orders to authenticated;
revoke all on table public.orders from service_role;
grant select, insert, update, delete on table public.orders to service_role;
