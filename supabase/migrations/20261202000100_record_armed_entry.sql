-- An armed entry's rows, written in one round trip after the order left (issues 13 and 18): the position, its entry
-- order in the state the venue answered, and the armed id marked fired. Before the send the only record is the armed
-- row (20261201600000_armed_orders.sql), made before the quote, so no database round trip sits between quote and
-- order. A crash between the send and this call leaves the armed row armed; reconciliation looks it up by client
-- order id and adopts the order through this same function.
--
-- p_position: venue, symbol, mode, opened_at. p_order: the order row as the burst computed it (its id, client order
-- id, figures and status); position_id is set here. Service role only.

create function public.record_armed_entry(p_armed_id uuid, p_position jsonb, p_order jsonb)
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

  insert into public.positions (venue, symbol, mode, opened_at)
  values (
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

comment on function public.record_armed_entry(uuid, jsonb, jsonb) is
  'One round trip after an armed entry was sent: position, entry order (as the venue answered), armed id fired.';

revoke all on function public.record_armed_entry(uuid, jsonb, jsonb) from public, anon, authenticated;
grant execute on function public.record_armed_entry(uuid, jsonb, jsonb) to service_role;
