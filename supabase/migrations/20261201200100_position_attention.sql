-- Issue 14: a position whose exits keep being refused is raised for a person instead of being dropped. The burst keeps
-- retrying it with backoff (re-reading the balance first); needs_attention is what the dashboard and the run summary
-- show. A person either asks for a retry now (after fixing the cause) or records that it was handled by hand.

alter table public.positions
  add column needs_attention boolean not null default false,
  add column attention text;

comment on column public.positions.needs_attention is
  'true while the bot cannot close the position by itself (exits refused repeatedly); it keeps retrying with backoff';
comment on column public.positions.attention is 'why the position needed a person, and what was done (kept after)';

-- "Retry now": clears the flag, so the next burst of the venue sends the exit at once instead of after its backoff.
create function public.retry_position_exit(p_position_id uuid) returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  update public.positions set needs_attention = false,
    attention = coalesce(attention, '') || ' | retry asked at ' || now()::text
  where id = p_position_id and status = 'closing';
  if not found then
    raise exception 'retry_position_exit: no closing position %', p_position_id using errcode = 'no_data_found';
  end if;
end;
$$;

-- "Handled by hand": the coins were sold (or accounted for) outside the bot. Closes the position with the PnL the
-- person states. Refused while a burst holds the venue's lease: it could be sending an exit for it right now.
create function public.mark_position_handled(p_position_id uuid, p_realized_pnl numeric, p_note text) returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_position public.positions%rowtype;
begin
  if p_realized_pnl is null or p_note is null or length(trim(p_note)) = 0 then
    raise exception 'mark_position_handled: p_realized_pnl and p_note (what was done) are required'
      using errcode = 'invalid_parameter_value';
  end if;
  select * into v_position from public.positions where id = p_position_id for update;
  if not found or v_position.status not in ('opening', 'open', 'closing') then
    raise exception 'mark_position_handled: no active position %', p_position_id using errcode = 'no_data_found';
  end if;
  if exists (select 1 from public.function_runs r where r.function_name = 'trade-burst' and r.venue = v_position.venue
             and r.outcome = 'running' and r.lease_expires_at > now()) then
    raise exception 'mark_position_handled: a trade-burst holds the % lease right now; stop trading or retry after it',
      v_position.venue using errcode = 'lock_not_available';
  end if;
  update public.positions set status = 'closed', exit_reason = 'manual', realized_pnl = p_realized_pnl,
    closed_at = now(), needs_attention = false,
    attention = coalesce(attention, '') || ' | handled by hand: ' || p_note
  where id = p_position_id;
end;
$$;

revoke all on function public.retry_position_exit(uuid) from public, anon, authenticated, service_role;
revoke all on function public.mark_position_handled(uuid, numeric, text) from public, anon, authenticated, service_role;
grant execute on function public.retry_position_exit(uuid) to service_role;
grant execute on function public.mark_position_handled(uuid, numeric, text) to service_role;
