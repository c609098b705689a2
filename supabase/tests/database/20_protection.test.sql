-- Protection legs (issue 15): take_profit / stop_loss orders of a position, linked in a list; stops need a trigger.
begin;
select plan(7);

insert into public.positions (id, venue, symbol, mode, status, entry_qty, entry_avg_px)
values ('00000000-0000-4000-8000-0000000000b1', 'binance', 'BTC/USDT', 'paper', 'open', 0.01, 60000);

select lives_ok(
  $$insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, position_id, mode,
                               list_client_id)
    values ('cstTp1', 'binance', 'BTC/USDT', 'sell', 'limit', 60120, 0.01, 'take_profit',
            '00000000-0000-4000-8000-0000000000b1', 'paper', 'cstList1')$$,
  'A take-profit leg: a limit sell of the position, in a list.'
);
select lives_ok(
  $$insert into public.orders (client_order_id, venue, symbol, side, type, price, trigger_price, amount, purpose,
                               position_id, mode, list_client_id)
    values ('cstSl1', 'binance', 'BTC/USDT', 'sell', 'stop', 59580, 59880, 0.01, 'stop_loss',
            '00000000-0000-4000-8000-0000000000b1', 'paper', 'cstList1')$$,
  'A stop-loss leg: a stop sell with its trigger, in the same list.'
);
select throws_ok(
  $$insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, position_id, mode,
                               list_client_id)
    values ('cstSl2', 'binance', 'BTC/USDT', 'sell', 'stop', 59580, 0.01, 'stop_loss',
            '00000000-0000-4000-8000-0000000000b1', 'paper', 'cstList2')$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_stop_has_trigger"',
  'A stop without a trigger price is refused.'
);
select throws_ok(
  $$insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, position_id, mode)
    values ('cstTp2', 'binance', 'BTC/USDT', 'sell', 'limit', 60120, 0.01, 'take_profit',
            '00000000-0000-4000-8000-0000000000b1', 'paper')$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_protection_leg_shape"',
  'A protection leg outside a list is refused.'
);
select throws_ok(
  $$insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, position_id, mode,
                               list_client_id)
    values ('cstTp3', 'binance', 'BTC/USDT', 'buy', 'limit', 60120, 0.01, 'take_profit',
            '00000000-0000-4000-8000-0000000000b1', 'paper', 'cstList3')$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_protection_leg_shape"',
  'A protection leg is a sell.'
);
select throws_ok(
  $$insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, position_id, mode)
    values ('cstX1', 'binance', 'BTC/USDT', 'sell', 'limit', 60120, 0.01, 'trailing',
            '00000000-0000-4000-8000-0000000000b1', 'paper')$$,
  '23514', 'new row for relation "orders" violates check constraint "orders_purpose_known"',
  'An unknown purpose is still refused.'
);
select is(
  (select exit_protection from public.bot_settings where id = 1), true,
  'Protection on the venue is on by default.'
);

select * from finish();
rollback;
