-- Row level security and privileges per role: anon gets nothing, a signed-in non-member reads nothing, members
-- read, only service_role writes (operators' Start/Stop RPC is covered in 05_members).
begin;
select plan(96);

-- Generic checks over pg_catalog, so a table added later without RLS or with loose grants fails here.
select is_empty(
  $$select c.relname from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity$$,
  'Every table in public has row level security enabled.'
);
select is_empty(
  $$select c.relname from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
       and has_table_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')$$,
  'anon holds no privilege on any table or view in public.'
);
select is_empty(
  $$select c.relname from pg_class c
     where c.relnamespace = 'public'::regnamespace
       -- case, so the sequence check never runs on another kind of relation
       and case when c.relkind = 'S' then has_sequence_privilege('anon', c.oid, 'USAGE, SELECT, UPDATE') else false end$$,
  'anon holds no privilege on any sequence in public.'
);
select is_empty(
  $$select c.relname from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
       and has_table_privilege('authenticated', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')$$,
  'authenticated holds no write privilege on any table in public.'
);
select is_empty(
  $$select p.oid::regprocedure::text from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       and has_function_privilege('anon', p.oid, 'EXECUTE')$$,
  'anon may execute none of our functions in public.'
);
select set_eq(
  $$select p.oid::regprocedure::text from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       and has_function_privilege('authenticated', p.oid, 'EXECUTE')$$,
  array[
    'member_role()', 'set_trading_enabled(boolean)', 'dust_holdings(text)',
    'dashboard_daily_stats(text,timestamp with time zone)'
  ],
  'authenticated may execute only member_role(), set_trading_enabled(boolean) and the dashboards'' aggregate reads '
  '(dust_holdings, dashboard_daily_stats), which check membership inside.'
);
select is_empty(
  $$select c.relname from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm')
       and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')$$,
  'public has no views (a view runs as its owner and would bypass row level security).'
);
select is_empty(
  $$select tablename, policyname from pg_policies
     where schemaname = 'public' and roles && array['anon', 'public']::name[]$$,
  'No policy in public applies to anon or to every role.'
);
select is_empty(
  $$select tablename, policyname from pg_policies
     where schemaname = 'public' and (cmd <> 'SELECT' or roles <> array['authenticated']::name[])$$,
  'Every policy in public is a SELECT policy for authenticated only; writes are left to service_role.'
);
select is_empty(
  $$select c.relname from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
       and not exists (select 1 from pg_policies p
                        where p.schemaname = 'public' and p.tablename = c.relname
                          and p.policyname = c.relname || '_select_members')$$,
  'Every table in public has its <table>_select_members policy.'
);
select is_empty(
  $$select tablename, policyname, qual from pg_policies
     where schemaname = 'public' and qual is distinct from '(( SELECT member_role() AS member_role) IS NOT NULL)'$$,
  'Every policy in public lets members only: its condition is member_role() is not null, nothing else.'
);

select policies_are('public', 'exchange_connections', array['exchange_connections_select_members'],
  'exchange_connections has only its members read policy.');
select policies_are('public', 'balance_history', array['balance_history_select_members'],
  'balance_history has only its members read policy.');
select policies_are('public', 'latency_logs', array['latency_logs_select_members'],
  'latency_logs has only its members read policy.');
select policies_are('public', 'orders', array['orders_select_members'],
  'orders has only its members read policy.');
select policies_are('public', 'positions', array['positions_select_members'],
  'positions has only its members read policy.');
select policies_are('public', 'trade_logs', array['trade_logs_select_members'],
  'trade_logs has only its members read policy.');
select policies_are('public', 'bot_settings', array['bot_settings_select_members'],
  'bot_settings has only its members read policy.');
select policies_are('public', 'function_runs', array['function_runs_select_members'],
  'function_runs has only its members read policy.');

-- One row in every table (as the owner) so reads have something to find.
insert into public.balance_history (exchange_name, balance_usdt, source) values ('binance', 100, 'exchange');
insert into public.latency_logs (venue, latency_ms, success) values ('binance', 42.5, true);
insert into public.positions (id, venue, symbol, mode, status, entry_qty, entry_avg_px, opened_at)
values ('00000000-0000-4000-8000-000000000001', 'binance', 'BTC/USDT', 'paper', 'open', 0.01, 60000, now());
insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, position_id, mode)
values ('rlsEntry1', 'binance', 'BTC/USDT', 'buy', 'limit', 60000, 0.01, 'entry',
        '00000000-0000-4000-8000-000000000001', 'paper');
insert into public.trade_logs (venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds)
values ('binance', 'BTC/USDT', 'long', 600, 60000, 60100, 0.9, 30);
insert into public.function_runs (function_name, outcome, finished_at) values ('balance-sync', 'ok', now());

-- anon, as PostgREST would run it for the anon key.
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';

select throws_ok(format('select * from public.%I', t), '42501', null, format('anon cannot read %s.', t))
  from unnest(array[
    'exchange_connections', 'balance_history', 'latency_logs', 'orders', 'positions', 'trade_logs', 'bot_settings',
    'function_runs'
  ]) as t;
select throws_ok(format('insert into public.%I default values', t), '42501', null, format('anon cannot insert into %s.', t))
  from unnest(array[
    'exchange_connections', 'balance_history', 'latency_logs', 'orders', 'positions', 'trade_logs', 'bot_settings',
    'function_runs'
  ]) as t;
select throws_ok(
  $$update public.exchange_connections set balance_usdt = 1$$, '42501', null,
  'anon cannot update exchange_connections.'
);
select throws_ok(
  $$update public.bot_settings set trading_enabled = false$$, '42501', null, 'anon cannot flip trading_enabled.'
);
select throws_ok($$delete from public.trade_logs$$, '42501', null, 'anon cannot delete trade_logs.');

-- authenticated but not a member: anyone who signed up on a project that allows sign-ups.
reset role;
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "22222222-2222-4222-8222-222222222222"}';

select is_empty(format('select * from public.%I', t), format('a signed-in non-member reads no row of %s.', t))
  from unnest(array[
    'exchange_connections', 'balance_history', 'latency_logs', 'orders', 'positions', 'trade_logs', 'bot_settings',
    'function_runs', 'function_schedules', 'members', 'trading_switch_audit'
  ]) as t;
select is(public.member_role(), null, 'a signed-in non-member has no member role.');

-- authenticated and a viewer, as PostgREST would run it for a member's dashboard session.
reset role;
insert into public.members (user_id, role) values ('11111111-1111-4111-8111-111111111111', 'viewer');
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "11111111-1111-4111-8111-111111111111"}';

select isnt_empty(format('select * from public.%I', t), format('a member reads %s.', t))
  from unnest(array[
    'exchange_connections', 'balance_history', 'latency_logs', 'orders', 'positions', 'trade_logs', 'bot_settings',
    'function_runs'
  ]) as t;
select throws_ok(
  format('insert into public.%I default values', t), '42501', null, format('authenticated cannot insert into %s.', t)
)
  from unnest(array[
    'exchange_connections', 'balance_history', 'latency_logs', 'orders', 'positions', 'trade_logs', 'bot_settings',
    'function_runs'
  ]) as t;
select throws_ok(
  format('update public.%I set id = id', t), '42501', null, format('authenticated cannot update %s.', t)
)
  from unnest(array[
    'exchange_connections', 'balance_history', 'latency_logs', 'orders', 'positions', 'trade_logs', 'bot_settings',
    'function_runs'
  ]) as t;
select throws_ok(format('delete from public.%I', t), '42501', null, format('authenticated cannot delete from %s.', t))
  from unnest(array[
    'exchange_connections', 'balance_history', 'latency_logs', 'orders', 'positions', 'trade_logs', 'bot_settings',
    'function_runs'
  ]) as t;
select throws_ok(
  $$update public.bot_settings set trading_enabled = false$$, '42501', null,
  'authenticated cannot flip trading_enabled (only the service role may).'
);

-- service_role, as the functions run.
reset role;
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';

select lives_ok(
  $$update public.exchange_connections
       set balance_usdt = 1234.5, balance_usdt_free = 1200, balance_usdt_used = 34.5, balance_status = 'ok',
           balance_source = 'exchange', balances = '{"USDT": {"free": 1200, "used": 34.5, "total": 1234.5}}',
           last_balance_update = now(), last_balance_attempt = now()
     where exchange_name = 'binance'$$,
  'service_role updates one venue''s balances.'
);
select results_eq(
  $$select exchange_name, balance_usdt from public.exchange_connections order by 1$$,
  $$values ('binance'::text, 1234.5::numeric), ('okx', null)$$,
  'The balance update touched only the binance row.'
);
select lives_ok(
  $$insert into public.balance_history (exchange_name, balance_usdt, balance_usdt_free, balances, source)
    values ('okx', 50, 50, '{"USDT": {"free": 50, "used": 0, "total": 50}}', 'exchange')$$,
  'service_role inserts a balance snapshot.'
);
select lives_ok(
  $$insert into public.latency_logs (venue, latency_ms, success, error) values ('okx', null, false, 'timeout')$$,
  'service_role logs a failed latency sample.'
);
select lives_ok(
  $$insert into public.positions (id, venue, symbol, mode) values ('00000000-0000-4000-8000-000000000002', 'okx',
    'ETH/USDT', 'paper')$$,
  'service_role opens a position.'
);
select lives_ok(
  $$insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, purpose, position_id, mode)
    values ('svcEntry1', 'okx', 'ETH/USDT', 'buy', 'limit', 3000, 0.1, 'entry', '00000000-0000-4000-8000-000000000002',
            'paper')$$,
  'service_role records an order before sending it.'
);
select lives_ok(
  $$update public.orders set order_status = 'filled', exchange_order_id = 'okx-1', filled = 0.1, remaining = 0,
           average = 2999.5, cost = 299.95, fee_cost = 0.3, fee_currency = 'USDT', closed_at = now()
     where client_order_id = 'svcEntry1'$$,
  'service_role records the fill.'
);
select lives_ok(
  $$insert into public.trade_logs (venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds, order_id,
                                   order_status, position_id, fees_usd)
    values ('okx', 'ETH/USDT', 'long', 300, 2999.5, 3005, 0.25, 42, 'okx-1', 'filled',
            '00000000-0000-4000-8000-000000000002', 0.3)$$,
  'service_role writes a trade log.'
);
select lives_ok(
  $$update public.bot_settings set trading_enabled = false where id = 1$$,
  'service_role flips trading_enabled.'
);
select lives_ok(
  $$insert into public.function_runs (function_name, venue) values ('latency-sample', 'okx')$$,
  'service_role starts a run without a lease.'
);
select lives_ok($$delete from public.latency_logs where venue = 'okx'$$, 'service_role deletes old latency samples.');
select results_eq(
  'select count(*)::int from public.orders', array[2], 'service_role reads every row, bypassing row level security.'
);
select throws_ok(
  $$delete from public.bot_settings$$, '42501', null, 'Not even service_role can delete the settings row.'
);

reset role;
select * from finish();
rollback;
