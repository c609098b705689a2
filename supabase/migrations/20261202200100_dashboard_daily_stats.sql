-- Issue 14: the dashboards summed today's realized PnL from positions rows, and PostgREST cuts an answer at max_rows
-- (1000 on hosted projects): with more closed positions in a day the figure was wrong. Members now read the day the
-- way the bot counts it (daily_trade_stats: entries sent, realized PnL, active positions), aggregated in SQL: one
-- answer whatever the number of rows. Members only, checked inside (as set_trading_enabled does).

create function public.dashboard_daily_stats(p_mode text, p_since timestamptz)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select public.member_role()) is null then
    raise exception 'dashboard_daily_stats: members only' using errcode = 'insufficient_privilege';
  end if;
  if p_mode is null or p_since is null then
    raise exception 'dashboard_daily_stats: p_mode and p_since are required' using errcode = 'invalid_parameter_value';
  end if;
  return public.daily_trade_stats(p_mode, p_since) || jsonb_build_object(
    'closed_positions', (
      select count(*) from public.positions
       where mode = p_mode and closed_at >= p_since and realized_pnl is not null));
end;
$$;

comment on function public.dashboard_daily_stats(text, timestamptz) is
  'Members: daily_trade_stats (entries, realized_pnl, open_positions) plus closed_positions since p_since.';

revoke all on function public.dashboard_daily_stats(text, timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.dashboard_daily_stats(text, timestamptz) to authenticated;
