-- Armed entries in apply_burst_writes (issues 13 and 17): the entry's rows travel with the tick's other writes. They
-- are recorded first, with the position id the burst made, so the batch's patches and protection legs can refer to
-- them; a failure anywhere in the batch leaves the armed id armed (the next burst's reconciliation adopts the order);
-- an entry without its position id is refused; the service role alone may call the five-argument function, and
-- nobody else the renamed four-argument one.
begin;
select plan(11);

insert into public.armed_orders (id, client_order_id, venue, symbol, side, purpose, mode)
values ('00000000-0000-4000-8000-0000000000e1', 'bwArm1', 'binance', 'BTC/USDT', 'buy', 'entry', 'testnet'),
       ('00000000-0000-4000-8000-0000000000e2', 'bwArm2', 'binance', 'BTC/USDT', 'buy', 'entry', 'testnet');

select is(
  public.apply_burst_writes(
    p_armed_entries => '[{"armed_id": "00000000-0000-4000-8000-0000000000e1",
      "position": {"id": "00000000-0000-4000-8000-0000000000a1", "venue": "binance", "symbol": "BTC/USDT",
                   "mode": "testnet", "opened_at": "2026-12-07T10:00:00Z"},
      "order": {"id": "00000000-0000-4000-8000-0000000000b1", "client_order_id": "bwArm1", "exchange_order_id": "BN-1",
        "venue": "binance", "symbol": "BTC/USDT", "side": "buy", "type": "limit", "price": 60000, "amount": 0.01,
        "filled": 0, "remaining": 0.01, "cost": 0, "order_status": "open", "purpose": "entry", "mode": "testnet",
        "created_at": "2026-12-07T10:00:00Z", "submitted_at": "2026-12-07T10:00:00.05Z"}}]',
    p_order_patches => '[{"id": "00000000-0000-4000-8000-0000000000b1",
      "patch": {"order_status": "filled", "filled": 0.01, "remaining": 0, "average": 60000, "cost": 600,
                "closed_at": "2026-12-07T10:00:01Z"}}]',
    p_position_patches => '[{"id": "00000000-0000-4000-8000-0000000000a1",
      "patch": {"status": "open", "entry_qty": 0.01, "entry_avg_px": 60000}}]',
    p_new_orders => '[{"client_order_id": "bwArmTp1", "venue": "binance", "symbol": "BTC/USDT", "side": "sell",
        "type": "limit", "price": 60100, "amount": 0.01, "purpose": "take_profit",
        "position_id": "00000000-0000-4000-8000-0000000000a1", "mode": "testnet", "list_client_id": "bwArmList1"}]'
  ) - 'orders',
  '{"armed_entries": 1}'::jsonb,
  'One call records an armed entry, patches its order and position, and records its protection leg.'
);
select is(
  (select p.id::text || ' ' || p.status || ' ' || o.order_status || ' ' || o.exchange_order_id
   from public.positions p join public.orders o on o.position_id = p.id
   where o.id = '00000000-0000-4000-8000-0000000000b1'),
  '00000000-0000-4000-8000-0000000000a1 open filled BN-1',
  'The position has the id the burst made, and the patches after the record landed on the new rows.'
);
select is(
  (select position_id::text from public.orders where client_order_id = 'bwArmTp1'),
  '00000000-0000-4000-8000-0000000000a1',
  'The protection leg of the same batch refers to the new position.'
);
select is(
  (select status from public.armed_orders where id = '00000000-0000-4000-8000-0000000000e1'),
  'fired',
  'The armed id is fired in the same transaction.'
);

select throws_ok(
  $$select public.apply_burst_writes(
      p_armed_entries => '[{"armed_id": "00000000-0000-4000-8000-0000000000e2",
        "position": {"id": "00000000-0000-4000-8000-0000000000a2", "venue": "binance", "symbol": "BTC/USDT",
                     "mode": "testnet"},
        "order": {"id": "00000000-0000-4000-8000-0000000000b2", "client_order_id": "bwArm2", "venue": "binance",
          "symbol": "BTC/USDT", "side": "buy", "type": "limit", "price": 60000, "amount": 0.01, "remaining": 0.01,
          "order_status": "open", "purpose": "entry", "mode": "testnet"}}]',
      p_position_patches => '[{"id": "00000000-0000-4000-8000-0000000000c9", "patch": {"status": "closing"}}]')$$,
  'P0002', 'apply_burst_writes: no position 00000000-0000-4000-8000-0000000000c9',
  'A batch that fails after its armed entry fails whole.'
);
select is(
  (select status || ' ' || (select count(*) from public.positions
                            where id = '00000000-0000-4000-8000-0000000000a2')::text
   from public.armed_orders where id = '00000000-0000-4000-8000-0000000000e2'),
  'armed 0',
  'The armed id stays armed and no position was left: reconciliation finds the order by its id.'
);
select throws_ok(
  $$select public.apply_burst_writes(
      p_armed_entries => '[{"armed_id": "00000000-0000-4000-8000-0000000000e2",
        "position": {"venue": "binance", "symbol": "BTC/USDT", "mode": "testnet"},
        "order": {"client_order_id": "bwArm2", "venue": "binance", "symbol": "BTC/USDT", "side": "buy",
          "type": "limit", "price": 60000, "amount": 0.01, "purpose": "entry", "mode": "testnet"}}]')$$,
  '22023', 'apply_burst_writes: armed entry 00000000-0000-4000-8000-0000000000e2 comes without its position id',
  'An armed entry must carry the id the burst gave its position (its later writes refer to it).'
);
select throws_ok(
  $$select public.apply_burst_writes(
      p_armed_entries => '[{"armed_id": "00000000-0000-4000-8000-0000000000e2",
        "position": {"id": "00000000-0000-4000-8000-0000000000a3", "venue": "binance", "symbol": "BTC/USDT",
                     "mode": "testnet"},
        "order": {"client_order_id": "bwArm1", "venue": "binance", "symbol": "BTC/USDT", "side": "buy",
          "type": "limit", "price": 60000, "amount": 0.01, "purpose": "entry", "mode": "testnet"}}]')$$,
  '22023', 'record_armed_entry: the order does not match armed order bwArm2',
  'record_armed_entry''s checks hold inside the batch.'
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
select ok(
  not has_function_privilege('authenticated', 'public.apply_burst_changes(jsonb, jsonb, jsonb, jsonb)', 'execute')
    and not has_function_privilege('anon', 'public.apply_burst_changes(jsonb, jsonb, jsonb, jsonb)', 'execute'),
  'Nor the renamed four-argument function.'
);

select * from finish();
rollback;
