-- Reading the book requires membership. Until now every signed-in user read every row, and hosted projects allow
-- e-mail sign-ups by default, so anyone with the public URL could sign up and read balances, orders and runs. From
-- here on: members (viewer or operator) read; signed-in non-members and anon read nothing; operators may flip the
-- Start/Stop switch through one audited RPC; everything else stays with the service role.

-- Who is a member. Managed by the service role or in the SQL editor (see docs/DEPLOY.md); no API role writes it.
create table public.members (
  user_id uuid primary key,
  role text not null constraint members_role_known check (role in ('viewer', 'operator')),
  created_at timestamptz not null default now()
);

comment on table public.members is
  'Dashboard members: viewer reads everything, operator also starts/stops trading. Service role / SQL editor only.';

-- On Supabase a membership goes with its auth user. Local databases have no auth.users, so the link is optional.
do $$
begin
  if to_regclass('auth.users') is not null then
    alter table public.members
      add constraint members_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade;
  end if;
end
$$;

alter table public.members enable row level security;

-- The caller's role, or null for anon, non-members and the service role. Security definer so policies can ask it
-- without members' own RLS recursing; it reads one row keyed by the caller's own id and returns nothing else.
create function public.member_role() returns text
language sql
stable
security definer
set search_path = ''
as $$
  select m.role from public.members m where m.user_id = auth.uid()
$$;

comment on function public.member_role() is 'The calling user''s member role (viewer/operator), or null.';

-- Supabase grants new functions to every API role by default: take that back, then allow signed-in users only
-- (anon has no uid, and must not even learn that the function exists).
revoke all on function public.member_role() from public, anon, authenticated, service_role;
grant execute on function public.member_role() to authenticated;

-- Members see who else is a member (the dashboard shows it); nobody writes through the API.
create policy members_select_members on public.members
  for select to authenticated using ((select public.member_role()) is not null);

revoke all on table public.members from anon, authenticated, service_role;
grant select on table public.members to authenticated;
grant select, insert, update, delete on table public.members to service_role;

-- Every read policy now asks for membership. `(select …)` so Postgres evaluates it once per statement, not per row.
drop policy exchange_connections_select_authenticated on public.exchange_connections;
create policy exchange_connections_select_members on public.exchange_connections
  for select to authenticated using ((select public.member_role()) is not null);

drop policy balance_history_select_authenticated on public.balance_history;
create policy balance_history_select_members on public.balance_history
  for select to authenticated using ((select public.member_role()) is not null);

drop policy latency_logs_select_authenticated on public.latency_logs;
create policy latency_logs_select_members on public.latency_logs
  for select to authenticated using ((select public.member_role()) is not null);

drop policy positions_select_authenticated on public.positions;
create policy positions_select_members on public.positions
  for select to authenticated using ((select public.member_role()) is not null);

drop policy orders_select_authenticated on public.orders;
create policy orders_select_members on public.orders
  for select to authenticated using ((select public.member_role()) is not null);

drop policy trade_logs_select_authenticated on public.trade_logs;
create policy trade_logs_select_members on public.trade_logs
  for select to authenticated using ((select public.member_role()) is not null);

drop policy bot_settings_select_authenticated on public.bot_settings;
create policy bot_settings_select_members on public.bot_settings
  for select to authenticated using ((select public.member_role()) is not null);

drop policy function_runs_select_authenticated on public.function_runs;
create policy function_runs_select_members on public.function_runs
  for select to authenticated using ((select public.member_role()) is not null);

drop policy function_schedules_select_authenticated on public.function_schedules;
create policy function_schedules_select_members on public.function_schedules
  for select to authenticated using ((select public.member_role()) is not null);

-- Who pressed Start/Stop, when, and what the switch was before.
create table public.trading_switch_audit (
  id bigint generated always as identity primary key,
  user_id uuid not null,
  enabled boolean not null,
  previous boolean not null,
  at timestamptz not null default now()
);

comment on table public.trading_switch_audit is 'One row per set_trading_enabled call: who, the new and the old value.';

create index trading_switch_audit_at_idx on public.trading_switch_audit (at desc);

alter table public.trading_switch_audit enable row level security;

create policy trading_switch_audit_select_members on public.trading_switch_audit
  for select to authenticated using ((select public.member_role()) is not null);

revoke all on table public.trading_switch_audit from anon, authenticated, service_role;
grant select on table public.trading_switch_audit to authenticated;
-- The service role reads it; rows are only ever written by set_trading_enabled, and never changed.
grant select on table public.trading_switch_audit to service_role;
revoke all on sequence public.trading_switch_audit_id_seq from anon, authenticated, service_role;

-- Start/Stop for people. The only write an API user can make, checked inside: the caller must be an operator.
create function public.set_trading_enabled(enabled boolean) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  caller_role text;
  prior boolean;
begin
  if caller is null then
    raise exception 'set_trading_enabled: sign in first; only an operator may start or stop trading'
      using errcode = 'insufficient_privilege';
  end if;
  select m.role into caller_role from public.members m where m.user_id = caller;
  if caller_role is distinct from 'operator' then
    raise exception 'set_trading_enabled: only an operator may start or stop trading (you are %)',
      coalesce('a ' || caller_role, 'not a member')
      using errcode = 'insufficient_privilege';
  end if;
  if enabled is null then
    raise exception 'set_trading_enabled: enabled must be true or false, not null'
      using errcode = 'invalid_parameter_value';
  end if;

  -- Row lock: two operators pressing at once get two audit rows whose `previous` chain is consistent.
  select s.trading_enabled into prior from public.bot_settings s where s.id = 1 for update;
  if not found then
    raise exception 'set_trading_enabled: the settings row (id = 1) is missing; run the migrations'
      using errcode = 'no_data_found';
  end if;
  update public.bot_settings set trading_enabled = enabled where id = 1;
  insert into public.trading_switch_audit (user_id, enabled, previous) values (caller, enabled, prior);
  return enabled;
end;
$$;

comment on function public.set_trading_enabled(boolean) is
  'Operators only: sets bot_settings.trading_enabled, writes trading_switch_audit, returns the new value.';

revoke all on function public.set_trading_enabled(boolean) from public, anon, authenticated, service_role;
grant execute on function public.set_trading_enabled(boolean) to authenticated;
