-- market_quotes (issue 16): the latest bid/ask per venue, mode and symbol. Members read; anon and signed-in
-- non-members see nothing; only the service role writes; nonsense quotes are refused.
begin;
select plan(17);

select has_table('public', 'market_quotes', 'public.market_quotes exists.');
select col_is_pk('public', 'market_quotes', array['venue', 'mode', 'symbol'], 'one row per venue, mode and symbol.');
select policies_are('public', 'market_quotes', array['market_quotes_select_members'],
  'market_quotes has only its members read policy.');

-- The service role writes, as trade-burst does (an upsert on the key).
set local role service_role;
select lives_ok(
  $$insert into public.market_quotes (venue, mode, symbol, bid, ask, ts, source)
    values ('binance', 'paper', 'BTC/USDT', 60000.1, 60000.2, now(), 'stream'),
           ('okx', 'paper', 'ETH/USDT', 3000.5, 3000.7, now() - interval '5 minutes', 'poll')$$,
  'the service role inserts quotes.'
);
select lives_ok(
  $$insert into public.market_quotes (venue, mode, symbol, bid, ask, ts, source)
    values ('binance', 'paper', 'BTC/USDT', 60010, 60010.5, now(), 'poll')
    on conflict (venue, mode, symbol) do update set bid = excluded.bid, ask = excluded.ask, ts = excluded.ts,
      source = excluded.source$$,
  'the service role upserts a newer quote over the old one.'
);
select is((select bid from public.market_quotes where venue = 'binance'), 60010::numeric, 'the upsert replaced the bid.');
reset role;

select throws_ok(
  $$insert into public.market_quotes (venue, mode, symbol, bid, ask, ts, source)
    values ('binance', 'paper', 'SOL/USDT', 101, 100, now(), 'poll')$$,
  '23514', null, 'a crossed quote (ask below bid) is refused.'
);
select throws_ok(
  $$insert into public.market_quotes (venue, mode, symbol, bid, ask, ts, source)
    values ('binance', 'paper', 'SOL/USDT', 100, 101, now(), 'guess')$$,
  '23514', null, 'a source other than stream or poll is refused.'
);

-- anon, as PostgREST runs the publishable key.
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select throws_ok('select * from public.market_quotes', '42501', null, 'anon cannot read quotes.');
select throws_ok(
  $$insert into public.market_quotes (venue, mode, symbol, bid, ask, ts, source)
    values ('binance', 'paper', 'SOL/USDT', 100, 101, now(), 'poll')$$,
  '42501', null, 'anon cannot write quotes.'
);
reset role;

-- A signed-in non-member.
insert into public.members (user_id, role) values ('aaaaaaaa-0000-4000-8000-0000000000d1', 'viewer'),
  ('aaaaaaaa-0000-4000-8000-0000000000d2', 'operator');
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-0000000000d9"}';
select is_empty('select * from public.market_quotes', 'a signed-in non-member sees no quote.');

-- A viewer reads every quote and writes none.
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-0000000000d1"}';
select results_eq(
  'select venue || '' '' || symbol || '' '' || bid::text from public.market_quotes order by venue',
  array['binance BTC/USDT 60010', 'okx ETH/USDT 3000.5'],
  'a viewer reads the quotes.'
);
select throws_ok(
  $$insert into public.market_quotes (venue, mode, symbol, bid, ask, ts, source)
    values ('binance', 'paper', 'SOL/USDT', 100, 101, now(), 'poll')$$,
  '42501', null, 'a viewer cannot insert a quote.'
);
select throws_ok($$update public.market_quotes set bid = 1$$, '42501', null, 'a viewer cannot change a quote.');

-- Not even an operator writes them: Start/Stop is an operator's only write.
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-0000000000d2"}';
select isnt_empty('select * from public.market_quotes', 'an operator reads the quotes.');
select throws_ok($$update public.market_quotes set bid = 1$$, '42501', null, 'an operator cannot change a quote.');
select throws_ok($$delete from public.market_quotes$$, '42501', null, 'an operator cannot delete quotes.');
reset role;

select * from finish();
rollback;
