-- Issue 14: a settings change must not orphan what the bot holds, and today's entries count every entry sent.
--
-- A burst manages the positions and working orders of the CURRENT mode only (each mode has its own keys or ledger),
-- so a mode switch while the old mode still holds an active position or a working order would hide them from every
-- burst. Such a switch is refused, naming what is still active; close them first (or switch back), then switch.
-- Lowering paper_starting_usdt below what open paper positions use would make the paper ledger negative: refused.

create or replace function public.bot_settings_guard_orphans()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_positions int;
  v_orders int;
  v_used numeric;
begin
  -- An unknown mode is the check constraint's to refuse, with its own message.
  if new.mode is distinct from old.mode and new.mode in ('paper', 'testnet', 'live') then
    select count(*) into v_positions from public.positions
      where mode = old.mode and status in ('opening', 'open', 'closing');
    select count(*) into v_orders from public.orders
      where mode = old.mode and order_status in ('pending_submit', 'open', 'partially_filled', 'unknown');
    if v_positions > 0 or v_orders > 0 then
      raise exception 'bot_settings.mode: cannot switch from % to %: % % position(s) and % order(s) still active; '
        'close them (or let the bot close them) in % mode first', old.mode, new.mode, v_positions, old.mode,
        v_orders, old.mode
        using errcode = 'check_violation';
    end if;
  end if;
  if new.paper_starting_usdt is distinct from old.paper_starting_usdt then
    -- What the open paper positions hold (their entry fills) plus what their working entries reserve.
    select coalesce(sum(
        case when o.order_status in ('pending_submit', 'open', 'partially_filled', 'unknown')
          then coalesce(o.cost, 0) + (o.amount - o.filled) * coalesce(o.price, 0)
          else coalesce(o.cost, o.filled * coalesce(o.average, o.price, 0))
        end), 0)
      into v_used
      from public.orders o join public.positions p on p.id = o.position_id
      where p.mode = 'paper' and p.status in ('opening', 'open', 'closing') and o.purpose = 'entry';
    if new.paper_starting_usdt < v_used then
      raise exception 'bot_settings.paper_starting_usdt: % is below the % USDT open paper positions use; '
        'close them first or choose at least that much', new.paper_starting_usdt, round(v_used, 2)
        using errcode = 'check_violation';
    end if;
  end if;
  return new;
end;
$$;

create trigger bot_settings_guard_orphans
  before update on public.bot_settings
  for each row execute function public.bot_settings_guard_orphans();

-- A trigger function is never called by the API roles.
revoke all on function public.bot_settings_guard_orphans() from public, anon, authenticated, service_role;

-- Today's risk counters in one answer (no row cap can cut them). An entry counts once its order was recorded and not
-- refused by the venue: one that timed out unfilled and was cancelled still counts towards max_trades_per_day. The
-- dashboards count the same rows (entry orders of the day, not rejected) through their own RLS reads.
create or replace function public.daily_trade_stats(p_mode text, p_since timestamptz)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'entries', (
      select count(*) from public.orders
      where mode = p_mode and purpose = 'entry' and created_at >= p_since and order_status <> 'rejected'),
    'realized_pnl', (
      select coalesce(sum(realized_pnl), 0) from public.positions
      where mode = p_mode and closed_at >= p_since and realized_pnl is not null));
$$;

revoke all on function public.daily_trade_stats(text, timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.daily_trade_stats(text, timestamptz) to service_role;
