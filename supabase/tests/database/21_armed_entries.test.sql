-- Armed entries (issues 13 and 18): record_armed_entry writes the position, its entry order as the venue answered
-- and the armed id fired in one call; it refuses an order that is not the armed one, and only the service role may
-- call it.
begin;
select plan(9);

insert into public.armed_orders (id, client_order_id, venue, symbol, side, purpose, mode)
values ('00000000-0000-4000-8000-0000000000e1', 'armTest1', 'binance', 'BTC/USDT', 'buy', 'entry', 'testnet'),
       ('00000000-0000-4000-8000-0000000000e2', 'armTest2', 'binance', 'BTC/USDT', 'buy', 'entry', 'testnet');

select lives_ok(
  $$select public.record_armed_entry(
      '00000000-0000-4000-8000-0000000000e1',
      '{"venue": "binance", "symbol": "BTC/USDT", "mode": "testnet", "opened_at": "2026-12-02T10:00:00Z"}',
      '{"id": "00000000-0000-4000-8000-0000000000f1", "client_order_id": "armTest1", "exchange_order_id": "BN-1",
        "venue": "binance", "symbol": "BTC/USDT", "side": "buy", "type": "limit", "price": 60000, "amount": 0.01,
        "filled": 0.004, "remaining": 0.006, "average": 60000, "cost": 240, "order_status": "partially_filled",
        "purpose": "entry", "mode": "testnet", "created_at": "2026-12-02T10:00:00Z",
        "submitted_at": "2026-12-02T10:00:00.05Z", "raw": {"orderId": 1}}'
    )$$,
  'An armed entry is recorded in one call.'
);
select is(
  (select order_status || ' ' || filled::text || ' ' || exchange_order_id from public.orders
   where id = '00000000-0000-4000-8000-0000000000f1'),
  'partially_filled 0.004 BN-1',
  'The order row holds the state the venue answered.'
);
select is(
  (select p.status || ' ' || p.venue || ' ' || p.symbol from public.orders o
   join public.positions p on p.id = o.position_id where o.id = '00000000-0000-4000-8000-0000000000f1'),
  'opening binance BTC/USDT',
  'Its position exists and the order refers to it.'
);
select is(
  (select status from public.armed_orders where id = '00000000-0000-4000-8000-0000000000e1'),
  'fired',
  'The armed id is fired in the same call.'
);
select throws_ok(
  $$select public.record_armed_entry(
      '00000000-0000-4000-8000-0000000000e2',
      '{"venue": "binance", "symbol": "BTC/USDT", "mode": "testnet"}',
      '{"client_order_id": "someOtherId", "venue": "binance", "symbol": "BTC/USDT", "side": "buy", "type": "limit",
        "price": 60000, "amount": 0.01, "purpose": "entry", "mode": "testnet"}'
    )$$,
  '22023', 'record_armed_entry: the order does not match armed order armTest2',
  'An order that is not the armed one is refused.'
);
select is(
  (select count(*)::int from public.positions where venue = 'binance' and symbol = 'BTC/USDT'),
  1,
  'A refused call leaves no position behind.'
);
update public.armed_orders set status = 'retired', retired_at = now(), retire_reason = 'test'
where id = '00000000-0000-4000-8000-0000000000e2';
select throws_ok(
  $$select public.record_armed_entry(
      '00000000-0000-4000-8000-0000000000e2',
      '{"venue": "binance", "symbol": "BTC/USDT", "mode": "testnet"}',
      '{"client_order_id": "armTest2", "venue": "binance", "symbol": "BTC/USDT", "side": "buy", "type": "limit",
        "price": 60000, "amount": 0.01, "purpose": "entry", "mode": "testnet"}'
    )$$,
  '22023', 'record_armed_entry: armed order armTest2 was retired (test)',
  'A retired id is never used.'
);
select ok(
  not has_function_privilege('authenticated', 'public.record_armed_entry(uuid, jsonb, jsonb)', 'execute')
    and not has_function_privilege('anon', 'public.record_armed_entry(uuid, jsonb, jsonb)', 'execute'),
  'Members and anon cannot call it.'
);
select ok(
  has_function_privilege('service_role', 'public.record_armed_entry(uuid, jsonb, jsonb)', 'execute'),
  'The service role can.'
);

select * from finish();
rollback;
