-- A burst's writes in one round trip (issues 13 and 17). The burst holding a venue's lease keeps that venue's orders
-- and positions in memory (leased_store.ts) and queues its changes to them: an order update, the position figures it
-- moves, the trade log of a close, and the orders it records before sending them. This function applies such a batch
-- in one transaction, so a fill that moves an order, its position and the protection it calls for costs one request
-- instead of four to six, and the batch lands whole or not at all.
--
-- p_order_patches / p_position_patches: [{"id": uuid, "patch": {column: value, ...}}, ...]; a patch names only columns
-- a burst may change (others are refused, not ignored), and every id must exist.
-- p_trade_logs: trade_logs rows; one per position (a second for the same position is ignored, as before).
-- p_new_orders: orders to record as pending_submit (what insertOrder wrote), answered in the same order as given.
-- Returns {"orders": [inserted rows]}. Service role only.

create function public.apply_burst_writes(
  p_order_patches jsonb default '[]',
  p_position_patches jsonb default '[]',
  p_trade_logs jsonb default '[]',
  p_new_orders jsonb default '[]'
)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_order_columns constant text[] := array[
    'exchange_order_id', 'exchange_list_id', 'order_status', 'filled', 'remaining', 'average', 'cost', 'fee_cost',
    'fee_currency', 'fee_rate_used', 'fee_valued_usd', 'last_error', 'raw', 'submitted_at', 'closed_at'
  ];
  v_position_columns constant text[] := array[
    'status', 'entry_qty', 'entry_avg_px', 'entry_fees_usd', 'exit_qty', 'exit_avg_px', 'exit_fees_usd',
    'realized_pnl', 'exit_reason', 'closed_at', 'needs_attention', 'attention', 'dust_qty', 'dust_cost_usd', 'dust_px',
    'dust_priced_at', 'dust_price_source', 'dust_value_usd'
  ];
  v_item jsonb;
  v_id uuid;
  v_patch jsonb;
  v_column text;
  v_changed integer;
  v_inserted jsonb := '[]';
  v_order public.orders;
begin
  for v_item in select value from jsonb_array_elements(coalesce(p_order_patches, '[]')) loop
    v_id := (v_item ->> 'id')::uuid;
    v_patch := coalesce(v_item -> 'patch', '{}');
    select k into v_column from jsonb_object_keys(v_patch) as k where k <> all (v_order_columns) limit 1;
    if found then
      raise exception 'apply_burst_writes: orders.% may not be patched (order %)', v_column, v_id using errcode = '22023';
    end if;
    -- jsonb_populate_record over the row keeps every column the patch does not name.
    update public.orders o set
      (exchange_order_id, exchange_list_id, order_status, filled, remaining, average, cost, fee_cost, fee_currency,
       fee_rate_used, fee_valued_usd, last_error, raw, submitted_at, closed_at) =
      (select r.exchange_order_id, r.exchange_list_id, r.order_status, r.filled, r.remaining, r.average, r.cost,
              r.fee_cost, r.fee_currency, r.fee_rate_used, r.fee_valued_usd, r.last_error, r.raw, r.submitted_at,
              r.closed_at
       from jsonb_populate_record(o, v_patch) as r)
    where o.id = v_id;
    get diagnostics v_changed = row_count;
    if v_changed <> 1 then
      raise exception 'apply_burst_writes: no order %', v_id using errcode = 'P0002';
    end if;
  end loop;

  for v_item in select value from jsonb_array_elements(coalesce(p_position_patches, '[]')) loop
    v_id := (v_item ->> 'id')::uuid;
    v_patch := coalesce(v_item -> 'patch', '{}');
    select k into v_column from jsonb_object_keys(v_patch) as k where k <> all (v_position_columns) limit 1;
    if found then
      raise exception 'apply_burst_writes: positions.% may not be patched (position %)', v_column, v_id
        using errcode = '22023';
    end if;
    update public.positions p set
      (status, entry_qty, entry_avg_px, entry_fees_usd, exit_qty, exit_avg_px, exit_fees_usd, realized_pnl,
       exit_reason, closed_at, needs_attention, attention, dust_qty, dust_cost_usd, dust_px, dust_priced_at,
       dust_price_source, dust_value_usd) =
      (select r.status, r.entry_qty, r.entry_avg_px, r.entry_fees_usd, r.exit_qty, r.exit_avg_px, r.exit_fees_usd,
              r.realized_pnl, r.exit_reason, r.closed_at, r.needs_attention, r.attention, r.dust_qty, r.dust_cost_usd,
              r.dust_px, r.dust_priced_at, r.dust_price_source, r.dust_value_usd
       from jsonb_populate_record(p, v_patch) as r)
    where p.id = v_id;
    get diagnostics v_changed = row_count;
    if v_changed <> 1 then
      raise exception 'apply_burst_writes: no position %', v_id using errcode = 'P0002';
    end if;
  end loop;

  insert into public.trade_logs (
    ts, venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds, order_id, order_status, position_id,
    fees_usd
  )
  select coalesce(t.ts, now()), t.venue, t.symbol, t.side, t.size_usd, t.entry_px, t.exit_px, t.pnl, t.dur_seconds,
         t.order_id, t.order_status, t.position_id, t.fees_usd
  from jsonb_populate_recordset(null::public.trade_logs, coalesce(p_trade_logs, '[]')) as t
  on conflict (position_id) do nothing;

  for v_item in select value from jsonb_array_elements(coalesce(p_new_orders, '[]')) with ordinality as e(value, n)
    order by n loop
    insert into public.orders (
      client_order_id, venue, symbol, side, type, price, trigger_price, amount, purpose, position_id, mode,
      list_client_id, order_status, filled, remaining, cost, created_at
    )
    select o.client_order_id, o.venue, o.symbol, o.side, o.type, o.price, o.trigger_price, o.amount, o.purpose,
           o.position_id, o.mode, o.list_client_id, 'pending_submit', 0, o.amount, 0, coalesce(o.created_at, now())
    from jsonb_populate_record(null::public.orders, v_item) as o
    returning * into v_order;
    v_inserted := v_inserted || jsonb_build_array(to_jsonb(v_order));
  end loop;

  return jsonb_build_object('orders', v_inserted);
end;
$$;

comment on function public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb) is
  'One transaction for a burst''s queued writes: order and position patches, trade logs, orders recorded before send.';

revoke all on function public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb) from public, anon, authenticated;
grant execute on function public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb) to service_role;
