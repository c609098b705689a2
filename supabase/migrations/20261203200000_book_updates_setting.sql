-- How often a streamed book top arrives (issue 17): 'conflated' (Binance <symbol>@depth5@100ms, OKX tickers: at most
-- one top per symbol every 100 ms, so a burst's CPU does not grow with how busy the market is) or 'every_change'
-- (Binance <symbol>@bookTicker, OKX bbo-tbt: every change of the top, faster to react and far more messages on a
-- liquid pair; see docs/STREAMS.md before choosing it on the Edge's 2 s CPU budget).
alter table public.bot_settings
  add column book_updates text not null default 'conflated'
    constraint bot_settings_book_updates_values check (book_updates in ('conflated', 'every_change'));
