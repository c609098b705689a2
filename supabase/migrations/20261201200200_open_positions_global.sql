-- Issue 14: max_open_positions is global (every venue of the mode), as README says; an optional per-venue limit sits
-- beside it. daily_trade_stats also answers the global count of active positions, in the same single answer.

alter table public.bot_settings
  add column max_open_positions_per_venue integer
    constraint bot_settings_max_open_positions_per_venue_range check (max_open_positions_per_venue between 0 and 1000);

comment on column public.bot_settings.max_open_positions is 'at most this many active positions over every venue';
comment on column public.bot_settings.max_open_positions_per_venue is 'optional: at most this many on one venue';

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
      where mode = p_mode and closed_at >= p_since and realized_pnl is not null),
    'open_positions', (
      select count(*) from public.positions where mode = p_mode and status in ('opening', 'open', 'closing')));
$$;
