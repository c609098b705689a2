-- Issue 16: the dashboards value open positions at the current bid, so the tables need the latest quote the bursts
-- saw. One row per venue, mode and symbol (testnet books are not the live ones; paper uses the venue's public quotes
-- like live, but is kept apart so one mode never values another's positions). Written by trade-burst off its hot
-- path, one batched upsert every few seconds and at burst end; between bursts the row simply ages, and the dashboards
-- call a quote older than two minutes stale. Bounded by the number of symbols: no retention needed.

create table public.market_quotes (
  venue text not null constraint market_quotes_venue_known check (venue in ('binance', 'okx')),
  mode text not null constraint market_quotes_mode_known check (mode in ('paper', 'testnet', 'live')),
  symbol text not null constraint market_quotes_symbol_shape check (symbol ~ '^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$'),
  bid numeric not null constraint market_quotes_bid_positive check (bid > 0),
  ask numeric not null constraint market_quotes_ask_positive check (ask > 0),
  -- When the burst read the quote (a REST answer, or the stream's latest top at that tick), not when it was written.
  ts timestamptz not null,
  -- stream: the venue's WebSocket book top; poll: a REST quote request.
  source text not null constraint market_quotes_source_known check (source in ('stream', 'poll')),
  updated_at timestamptz not null default now(),
  primary key (venue, mode, symbol),
  constraint market_quotes_not_crossed check (ask >= bid)
);

comment on table public.market_quotes is
  'Latest best bid/ask per venue, mode and symbol as trade-burst last read it (for the dashboards; not traded on).';
comment on column public.market_quotes.ts is 'When the burst read the quote; its age is now() - ts.';
comment on column public.market_quotes.source is 'stream (WebSocket book top) or poll (REST quote request).';

create trigger market_quotes_set_updated_at
  before update on public.market_quotes
  for each row execute function public.set_updated_at();

alter table public.market_quotes enable row level security;

create policy market_quotes_select_members on public.market_quotes
  for select to authenticated using ((select public.member_role()) is not null);

revoke all on table public.market_quotes from anon, authenticated, service_role;
grant select on table public.market_quotes to authenticated;
grant select, insert, update, delete on table public.market_quotes to service_role;
