-- Positions protected by the venue between bursts (issue 15): a take-profit limit sell and a stop-loss, linked so that
-- one filling cancels the other (Binance's OCO order list, OKX's oco algo order, the same pair in our paper tables).
-- Every leg is an `orders` row: purpose take_profit / stop_loss, the list it belongs to (our own id for the pair,
-- shared by both legs) and, for the stop, the price that triggers it.

alter table public.orders drop constraint orders_purpose_known;
alter table public.orders add constraint orders_purpose_known
  check (purpose in ('entry', 'exit', 'take_profit', 'stop_loss'));

-- 'stop': a stop-limit sell (trigger_price, then a limit at price) or a stop-market one (price null).
alter table public.orders drop constraint orders_type_known;
alter table public.orders add constraint orders_type_known check (type in ('limit', 'market', 'stop'));

alter table public.orders
  add column trigger_price numeric constraint orders_trigger_price_positive check (trigger_price > 0),
  add column list_client_id text
    constraint orders_list_client_id_shape check (list_client_id ~ '^[A-Za-z0-9_-]{1,36}$'),
  add column exchange_list_id text constraint orders_exchange_list_id_not_blank check (exchange_list_id <> '');

alter table public.orders
  add constraint orders_stop_has_trigger check (type <> 'stop' or trigger_price is not null),
  -- A protection leg is a sell of a position, in a list.
  add constraint orders_protection_leg_shape check (
    purpose not in ('take_profit', 'stop_loss')
    or (side = 'sell' and position_id is not null and list_client_id is not null)
  );

comment on column public.orders.list_client_id is
  'Our id of the linked pair (OCO list) a protection leg belongs to; both legs carry the same one.';
comment on column public.orders.exchange_list_id is 'The venue''s id of that list (Binance orderListId, OKX algoId).';
comment on column public.orders.trigger_price is 'Stop legs: the price whose crossing by the bid triggers them.';

create index orders_list_client_id_idx on public.orders (list_client_id) where list_client_id is not null;

-- On by default in every mode; false falls back to exits decided and sent by the burst (market sells).
alter table public.bot_settings add column exit_protection boolean not null default true;
comment on column public.bot_settings.exit_protection is
  'true: the venue holds a take profit and a stop loss for every open position; false: the burst decides exits.';
