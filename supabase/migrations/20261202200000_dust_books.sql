-- Issue 14: dust (base below one lot step or the venue's minimums, left in the wallet when a position closes) was
-- held at cost in nobody's books, so `balance_usdt` drifted from start + realized PnL by the dust's cost. Each closed
-- position now records its dust, the entry outlay the dust carries (not in realized_pnl), and its value at a market
-- price with when and where that price came from (`bid`: the burst's latest quote; `exit_fill`: the position's last
-- exit fill). No price at hand: the price columns stay null and the dust is shown as unvalued, never at cost.
-- dust_qty is null for positions closed before these books existed (not assessed).

alter table public.positions
  add column dust_qty numeric constraint positions_dust_qty_nonnegative check (dust_qty >= 0),
  add column dust_cost_usd numeric,
  add column dust_px numeric constraint positions_dust_px_positive check (dust_px > 0),
  add column dust_priced_at timestamptz,
  add column dust_price_source text
    constraint positions_dust_price_source_known check (dust_price_source in ('bid', 'exit_fill')),
  add column dust_value_usd numeric,
  -- A valuation is whole (price, time, source and value) or absent; only dust is valued; only a closed position has
  -- dust.
  add constraint positions_dust_valuation_whole check (
    (dust_px is null) = (dust_priced_at is null) and (dust_px is null) = (dust_price_source is null)
    and (dust_px is null) = (dust_value_usd is null)
  ),
  add constraint positions_dust_valued_has_qty check (dust_px is null or dust_qty > 0),
  add constraint positions_dust_when_closed check (dust_qty is null or dust_qty = 0 or status = 'closed');

comment on column public.positions.dust_qty is
  'Base left in the wallet at close, below what the venue lets us sell; 0 none, null not assessed (closed earlier).';
comment on column public.positions.dust_cost_usd is 'USDT: the entry outlay (cost + fees) the dust carries.';
comment on column public.positions.dust_px is 'The market price the dust is valued at; null = unvalued.';
comment on column public.positions.dust_priced_at is 'When that price was seen (the quote''s tick or the exit fill).';
comment on column public.positions.dust_price_source is 'bid (the burst''s latest quote) or exit_fill.';
comment on column public.positions.dust_value_usd is 'USDT: dust_qty × dust_px; null = unvalued.';

create index positions_dust_idx on public.positions (mode, venue, symbol) where dust_qty > 0 or dust_qty is null;

-- The dust each venue holds, per symbol, for the dashboards: one row per venue and symbol whatever the number of
-- positions (no row cap applies). Members only (checked inside, as set_trading_enabled does): security definer so
-- it reads under the owner, after the membership check.
create function public.dust_holdings(p_mode text)
returns table (
  venue text,
  symbol text,
  positions bigint,
  dust_qty numeric,
  dust_cost_usd numeric,
  valued_qty numeric,
  dust_value_usd numeric,
  unvalued_positions bigint,
  unvalued_qty numeric,
  last_px numeric,
  last_priced_at timestamptz,
  unassessed_positions bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select public.member_role()) is null then
    raise exception 'dust_holdings: members only' using errcode = 'insufficient_privilege';
  end if;
  return query
  select p.venue, p.symbol,
         count(*) filter (where p.dust_qty > 0),
         coalesce(sum(p.dust_qty) filter (where p.dust_qty > 0), 0),
         coalesce(sum(p.dust_cost_usd) filter (where p.dust_qty > 0), 0),
         coalesce(sum(p.dust_qty) filter (where p.dust_px is not null), 0),
         coalesce(sum(p.dust_value_usd), 0),
         count(*) filter (where p.dust_qty > 0 and p.dust_px is null),
         coalesce(sum(p.dust_qty) filter (where p.dust_qty > 0 and p.dust_px is null), 0),
         (array_agg(p.dust_px order by p.dust_priced_at desc) filter (where p.dust_px is not null))[1],
         max(p.dust_priced_at),
         count(*) filter (where p.dust_qty is null)
    from public.positions p
   where p.mode = p_mode and p.status = 'closed' and (p.dust_qty > 0 or p.dust_qty is null)
   group by p.venue, p.symbol
   order by p.venue, p.symbol;
end;
$$;

comment on function public.dust_holdings(text) is
  'Members: dust held per venue and symbol in a mode (quantity, cost, value at market, unvalued and unassessed).';

revoke all on function public.dust_holdings(text) from public, anon, authenticated, service_role;
grant execute on function public.dust_holdings(text) to authenticated;
