-- An armed entry's rows travel in the burst's batched writes (issues 13 and 17). Until now each armed entry cost a
-- round trip of its own after its send (record_armed_entry), though the armed row, made before the quote, is already
-- the durable record: a crash or a database failure before the entry's rows are written leaves the id armed, and the
-- next burst's reconciliation looks it up on the venue and adopts it. So the burst now queues the entry's rows with the
-- tick's other writes, making the position's id itself (positions.id is a uuid), and they land in the tick's commit.
--
-- record_armed_entry takes the position's id from p_position when given (otherwise it makes one, as before).
-- apply_burst_writes gains p_armed_entries, applied first so the batch's patches, trade logs and protection legs can
-- refer to the rows they create: [{"armed_id": uuid, "position": {id, venue, symbol, mode, opened_at}, "order": {...}},
-- ...], each as record_armed_entry takes it. The function's other four arguments keep their meaning; it answers
-- {"orders": [inserted rows], "armed_entries": count recorded}. Service role only.

create or replace function public.record_armed_entry(p_armed_id uuid, p_position jsonb, p_order jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_position public.positions;
  v_order public.orders;
  v_armed public.armed_orders;
begin
  select * into v_armed from public.armed_orders where id = p_armed_id for update;
  if not found then
    raise exception 'record_armed_entry: no armed order %', p_armed_id using errcode = 'P0002';
  end if;
  if v_armed.status = 'retired' then
    raise exception 'record_armed_entry: armed order % was retired (%)', v_armed.client_order_id, v_armed.retire_reason
      using errcode = '22023';
  end if;
  if v_armed.client_order_id is distinct from p_order ->> 'client_order_id'
    or v_armed.venue is distinct from p_order ->> 'venue'
    or v_armed.symbol is distinct from p_order ->> 'symbol'
    or v_armed.mode is distinct from p_order ->> 'mode' then
    raise exception 'record_armed_entry: the order does not match armed order %', v_armed.client_order_id
      using errcode = '22023';
  end if;

  insert into public.positions (id, venue, symbol, mode, opened_at)
  values (
    coalesce((p_position ->> 'id')::uuid, gen_random_uuid()),
    p_position ->> 'venue',
    p_position ->> 'symbol',
    p_position ->> 'mode',
    coalesce((p_position ->> 'opened_at')::timestamptz, now())
  )
  returning * into v_position;

  insert into public.orders (
    id, client_order_id, exchange_order_id, venue, symbol, side, type, price, amount, filled, remaining, average,
    cost, fee_cost, fee_currency, order_status, purpose, position_id, mode, last_error, raw, created_at,
    submitted_at, closed_at
  )
  select
    coalesce(o.id, gen_random_uuid()), o.client_order_id, o.exchange_order_id, o.venue, o.symbol, o.side, o.type,
    o.price, o.amount, coalesce(o.filled, 0), o.remaining, o.average, o.cost, o.fee_cost, o.fee_currency,
    coalesce(o.order_status, 'pending_submit'), o.purpose, v_position.id, o.mode, o.last_error, o.raw,
    coalesce(o.created_at, now()), o.submitted_at, o.closed_at
  from jsonb_populate_record(null::public.orders, p_order) as o
  returning * into v_order;

  update public.armed_orders set status = 'fired', fired_at = now()
  where id = p_armed_id and status = 'armed';

  return jsonb_build_object('position', to_jsonb(v_position), 'order', to_jsonb(v_order));
end;
$$;

-- The batch of patches, trade logs and new orders keeps its body under a name of its own; apply_burst_writes records
-- the armed entries, then hands it the rest, in the same transaction.
alter function public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb) rename to apply_burst_changes;
comment on function public.apply_burst_changes(jsonb, jsonb, jsonb, jsonb) is
  'apply_burst_writes without armed entries: order and position patches, trade logs, orders recorded before send.';

create function public.apply_burst_writes(
  p_order_patches jsonb default '[]',
  p_position_patches jsonb default '[]',
  p_trade_logs jsonb default '[]',
  p_new_orders jsonb default '[]',
  p_armed_entries jsonb default '[]'
)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_item jsonb;
  v_recorded integer := 0;
begin
  for v_item in select value from jsonb_array_elements(coalesce(p_armed_entries, '[]')) with ordinality as e(value, n)
    order by n loop
    if v_item -> 'position' ->> 'id' is null then
      raise exception 'apply_burst_writes: armed entry % comes without its position id', v_item ->> 'armed_id'
        using errcode = '22023';
    end if;
    perform public.record_armed_entry((v_item ->> 'armed_id')::uuid, v_item -> 'position', v_item -> 'order');
    v_recorded := v_recorded + 1;
  end loop;
  return public.apply_burst_changes(p_order_patches, p_position_patches, p_trade_logs, p_new_orders)
    || jsonb_build_object('armed_entries', v_recorded);
end;
$$;

comment on function public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb, jsonb) is
  'One transaction for a burst''s queued writes: armed entries'' rows, patches, trade logs, orders recorded before send.';

revoke all on function public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb, jsonb) from public, anon, authenticated;
grant execute on function public.apply_burst_writes(jsonb, jsonb, jsonb, jsonb, jsonb) to service_role;
