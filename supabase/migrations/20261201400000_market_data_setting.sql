-- Where a burst gets its quotes: 'stream' (the venues' WebSocket book tops, REST polling only while a stream is down)
-- or 'poll' (one REST request per tick, for venues or networks where streams fail). Issue 17.
alter table public.bot_settings
  add column market_data text not null default 'stream'
    constraint bot_settings_market_data_values check (market_data in ('stream', 'poll'));
