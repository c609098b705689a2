-- Issue 14: a fee charged in a third currency (BNB) is valued from a quote of that asset; the rate used is recorded
-- on the order. Null = not valued (no quote could be read): the fee is then left out of PnL, never a reason to stop.
alter table public.orders
  add column fee_rate_used numeric constraint orders_fee_rate_used_nonnegative check (fee_rate_used >= 0),
  add column fee_valued_usd numeric;

comment on column public.orders.fee_rate_used is
  'price in quote of fee_currency when it is neither base nor quote (e.g. BNB/USDT mid), as used for PnL';
comment on column public.orders.fee_valued_usd is 'fee_cost x fee_rate_used, in quote';
