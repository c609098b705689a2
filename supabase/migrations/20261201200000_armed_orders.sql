-- Pre-armed order records: the track-before-send record of an order, made before the tick's quote so nothing but
-- the send sits between quote and order. A row reserves a client order id for one venue, symbol, side and purpose;
-- the order's figures (price, amount) are only known once the quote is in, and go into public.orders after the send.
-- A crash between send and that write leaves an armed row whose client order id the venue may know: reconciliation
-- looks each one up, adopts what was sent and retires what never was.

create table public.armed_orders (
  id uuid primary key default gen_random_uuid(),
  client_order_id text not null
    constraint armed_orders_client_order_id_unique unique
    constraint armed_orders_client_order_id_shape check (client_order_id ~ '^[A-Za-z0-9_-]{1,36}$'),
  venue text not null constraint armed_orders_venue_known check (venue in ('binance', 'okx')),
  symbol text not null
    constraint armed_orders_symbol_unified check (symbol ~ '^[A-Z0-9]{2,20}/[A-Z0-9]{2,20}$'),
  side text not null constraint armed_orders_side_known check (side in ('buy', 'sell')),
  purpose text not null constraint armed_orders_purpose_known check (purpose in ('entry', 'exit')),
  mode text not null constraint armed_orders_mode_known check (mode in ('paper', 'testnet', 'live')),
  -- armed: reserved, not known to be sent; fired: sent (its orders row exists or is being written);
  -- retired: never sent (the venue does not know the id), so the id is spent for good.
  status text not null default 'armed'
    constraint armed_orders_status_known check (status in ('armed', 'fired', 'retired')),
  retire_reason text,
  armed_at timestamptz not null default now(),
  fired_at timestamptz,
  retired_at timestamptz,
  constraint armed_orders_fired_has_time check (status <> 'fired' or fired_at is not null),
  constraint armed_orders_retired_has_reason
    check (status <> 'retired' or (retired_at is not null and retire_reason is not null))
);

comment on table public.armed_orders is
  'Client order ids reserved before the quote (track-before-send); reconciliation retires the ones never sent.';

create index armed_orders_armed_idx on public.armed_orders (venue, mode, armed_at) where status = 'armed';

alter table public.armed_orders enable row level security;

-- Members only, like every other table (20261201100000_members.sql).
create policy armed_orders_select_members on public.armed_orders
  for select to authenticated using ((select public.member_role()) is not null);

revoke all on table public.armed_orders from anon;
revoke all on table public.armed_orders from authenticated;
grant select on table public.armed_orders to authenticated;
revoke all on table public.armed_orders from service_role;
grant select, insert, update, delete on table public.armed_orders to service_role;
