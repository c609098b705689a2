-- apply_burst_writes (issues 13 and 17): a burst's queued writes in one transaction. Patches keep the columns they do
-- not name, refuse columns a burst may not change and ids that do not exist (and then nothing of the batch lands),
-- trade logs stay one per position, new orders come back in the order given, and only the service role may call it.
begin;
select plan(12);

insert into public.positions (id, venue, symbol, mode, opened_at)
values ('00000000-0000-4000-8000-0000000000a1', 'binance', 'BTC/USDT', 'testnet', '2026-12-03T10:00:00Z');
insert into public.orders (id, client_order_id, exchange_order_id, venue, symbol, side, type, price, amount,
                           remaining, purpose, position_id, mode, order_status, raw)
values ('00000000-0000-4000-8000-0000000000b1', 'bwEntry1', 'BN-1', 'binance', 'BTC/USDT', 'buy', 'limit', 60000,
        0.01, 0.01, 'entry', '00000000-0000-4000-8000-0000000000a1', 'testnet', 'open', '{"orderId": 1}');

select is(
  public.apply_burst_writes(
    p_order_patches => '[{"id": "00000000-0000-4000-8000-0000000000b1",
      "patch": {"order_status": "filled", "filled": 0.01, "remaining": 0, "average": 60000, "cost": 600,
                "fee_cost": 0.00001, "fee_currency": "BTC", "closed_at": "2026-12-03T10:00:01Z", "raw": {"orderId": 2}}}]',
    p_position_patches => '[{"id": "00000000-0000-4000-8000-0000000000a1",
      "patch": {"status": "open", "entry_qty": 0.00999, "entry_avg_px": 60000, "entry_fees_usd": 0.6}}]',
    p_new_orders => '[{"client_order_id": "bwTp1", "venue": "binance", "symbol": "BTC/USDT", "side": "sell",
        "type": "limit", "price": 60100, "amount": 0.00999, "purpose": "take_profit",
        "position_id": "00000000-0000-4000-8000-0000000000a1", "mode": "testnet", "list_client_id": "bwList1"},
      {"client_order_id": "bwSl1", "venue": "binance", "symbol": "BTC/USDT", "side": "sell", "type": "stop",
        "price": 59800, "trigger_price": 59900, "amount": 0.00999, "purpose": "stop_loss",
        "position_id": "00000000-0000-4000-8000-0000000000a1", "mode": "testnet", "list_client_id": "bwList1"}]'
  ) -> 'orders' -> 1 ->> 'client_order_id',
  'bwSl1',
  'One call patches the order and its position and records the new orders, answered in the order given.'
);
select is(
  (select order_status || ' ' || filled::text || ' ' || exchange_order_id || ' ' || (raw ->> 'orderId')
   from public.orders where id = '00000000-0000-4000-8000-0000000000b1'),
  'filled 0.01 BN-1 2',
  'The patch changed what it named and kept what it did not (the exchange order id).'
);
select is(
  (select status || ' ' || entry_qty::text || ' ' || symbol from public.positions
   where id = '00000000-0000-4000-8000-0000000000a1'),
  'open 0.00999 BTC/USDT',
  'The position patch landed.'
);
select is(
  (select string_agg(purpose || ':' || order_status || ':' || remaining::text || ':' || filled::text, ' '
                     order by purpose)
   from public.orders where list_client_id = 'bwList1'),
  'stop_loss:pending_submit:0.00999:0 take_profit:pending_submit:0.00999:0',
  'New orders are recorded as pending_submit with nothing filled, as insertOrder did.'
);

select public.apply_burst_writes(
  p_trade_logs => '[{"venue": "binance", "symbol": "BTC/USDT", "side": "long", "size_usd": 600, "entry_px": 60000,
    "exit_px": 60100, "pnl": 0.4, "dur_seconds": 2, "order_status": "filled",
    "position_id": "00000000-0000-4000-8000-0000000000a1", "fees_usd": 1.2}]'
);
select public.apply_burst_writes(
  p_trade_logs => '[{"venue": "binance", "symbol": "BTC/USDT", "side": "long", "size_usd": 600, "entry_px": 60000,
    "exit_px": 60100, "pnl": 99, "dur_seconds": 2, "order_status": "filled",
    "position_id": "00000000-0000-4000-8000-0000000000a1", "fees_usd": 1.2}]'
);
select is(
  (select count(*)::text || ' ' || min(pnl)::text from public.trade_logs
   where position_id = '00000000-0000-4000-8000-0000000000a1'),
  '1 0.4',
  'A second trade log for the same position is ignored.'
);

select throws_ok(
  $$select public.apply_burst_writes(p_order_patches => '[{"id": "00000000-0000-4000-8000-0000000000b1",
      "patch": {"venue": "okx"}}]')$$,
  '22023', 'apply_burst_writes: orders.venue may not be patched (order 00000000-0000-4000-8000-0000000000b1)',
  'A column a burst may not change is refused, not ignored.'
);
select throws_ok(
  $$select public.apply_burst_writes(p_position_patches => '[{"id": "00000000-0000-4000-8000-0000000000a1",
      "patch": {"mode": "live"}}]')$$,
  '22023', 'apply_burst_writes: positions.mode may not be patched (position 00000000-0000-4000-8000-0000000000a1)',
  'The same for positions.'
);
select throws_ok(
  $$select public.apply_burst_writes(
      p_order_patches => '[{"id": "00000000-0000-4000-8000-0000000000b1", "patch": {"last_error": "late"}}]',
      p_position_patches => '[{"id": "00000000-0000-4000-8000-0000000000c9", "patch": {"status": "closing"}}]')$$,
  'P0002', 'apply_burst_writes: no position 00000000-0000-4000-8000-0000000000c9',
  'An id that does not exist fails the batch.'
);
select is(
  (select coalesce(last_error, 'none') from public.orders where id = '00000000-0000-4000-8000-0000000000b1'),
  'none',
  'Nothing of a failed batch lands (the order patch applied before the missing position was rolled back).'
);
select throws_ok(
  $$select public.apply_burst_writes(p_order_patches => '[{"id": "00000000-0000-4000-8000-0000000000b1",
      "patch": {"filled": 0.02}}]')$$,
  '23514', null,
  'The table''s checks still hold (filled beyond the amount).'
);
select ok(
  not has_function_privilege('authenticated', 'public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb, jsonb)', 'execute')
    and not has_function_privilege('anon', 'public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb, jsonb)', 'execute'),
  'Members and anon cannot call it.'
);
select ok(
  has_function_privilege('service_role', 'public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb, jsonb)', 'execute'),
  'The service role can.'
);

select * from finish();
rollback;
