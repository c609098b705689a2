-- Members and the operators' Start/Stop: who may call set_trading_enabled, what it writes, and that nobody but the
-- service role manages membership or the audit trail.
begin;
select plan(31);

select has_table('public', 'members', 'members holds who may read.');
select has_table('public', 'trading_switch_audit', 'trading_switch_audit holds who pressed Start/Stop.');
select col_is_pk('public', 'members', 'user_id', 'one membership per user.');
select throws_ok(
  $$insert into public.members (user_id, role) values (gen_random_uuid(), 'admin')$$,
  '23514', null, 'a role other than viewer or operator is refused.'
);
select is(
  (select prosecdef and proconfig = array['search_path=""'] from pg_proc
    where oid = 'public.set_trading_enabled(boolean)'::regprocedure),
  true, 'set_trading_enabled is security definer with an empty search_path.'
);
select is(
  (select prosecdef and proconfig = array['search_path=""'] from pg_proc where oid = 'public.member_role()'::regprocedure),
  true, 'member_role is security definer with an empty search_path.'
);

insert into public.members (user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'viewer'),
  ('aaaaaaaa-0000-4000-8000-000000000002', 'operator');
update public.bot_settings set trading_enabled = true where id = 1;

-- anon: cannot even call it.
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select throws_ok('select public.set_trading_enabled(false)', '42501', null, 'anon cannot call set_trading_enabled.');
select throws_ok('select public.member_role()', '42501', null, 'anon cannot call member_role.');
select throws_ok('select * from public.members', '42501', null, 'anon cannot read members.');
select throws_ok('select * from public.trading_switch_audit', '42501', null, 'anon cannot read the audit trail.');
reset role;

-- A signed-in non-member.
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-000000000009"}';
select throws_ok(
  'select public.set_trading_enabled(false)', '42501',
  'set_trading_enabled: only an operator may start or stop trading (you are not a member)',
  'a signed-in non-member cannot call set_trading_enabled, and is told why.'
);
select throws_ok(
  $$insert into public.members (user_id, role) values ('aaaaaaaa-0000-4000-8000-000000000009', 'operator')$$,
  '42501', null, 'a non-member cannot make themselves a member.'
);
reset role;

-- A viewer.
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-000000000001"}';
select is(public.member_role(), 'viewer', 'member_role() answers viewer for a viewer.');
select throws_ok(
  'select public.set_trading_enabled(false)', '42501',
  'set_trading_enabled: only an operator may start or stop trading (you are a viewer)',
  'a viewer cannot call set_trading_enabled.'
);
select throws_ok(
  $$update public.members set role = 'operator' where user_id = 'aaaaaaaa-0000-4000-8000-000000000001'$$,
  '42501', null, 'a viewer cannot promote themselves.'
);
select throws_ok(
  $$update public.bot_settings set trading_enabled = false where id = 1$$,
  '42501', null, 'a viewer cannot write bot_settings directly.'
);
select is(
  (select count(*)::int from public.members), 2, 'a member sees the members list.'
);
reset role;
select is((select trading_enabled from public.bot_settings where id = 1), true, 'no refused call changed the switch.');
select is((select count(*)::int from public.trading_switch_audit), 0, 'no refused call wrote an audit row.');

-- An operator.
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-000000000002"}';
select is(public.member_role(), 'operator', 'member_role() answers operator for an operator.');
select is(public.set_trading_enabled(false), false, 'an operator stops trading; the call returns the new value.');
select throws_ok(
  $$update public.bot_settings set max_order_usd = 1000000 where id = 1$$,
  '42501', null, 'an operator still cannot change any other setting.'
);
select throws_ok(
  $$delete from public.trading_switch_audit$$, '42501', null, 'an operator cannot erase the audit trail.'
);
select throws_ok(
  $$update public.trading_switch_audit set enabled = true$$, '42501', null, 'an operator cannot rewrite the audit trail.'
);
select throws_ok(
  'select public.set_trading_enabled(null)', '22023',
  'set_trading_enabled: enabled must be true or false, not null', 'null is refused.'
);
select is(public.set_trading_enabled(true), true, 'an operator starts trading again.');
select results_eq(
  $$select user_id::text, enabled, previous from public.trading_switch_audit order by id$$,
  $$values ('aaaaaaaa-0000-4000-8000-000000000002', false, true), ('aaaaaaaa-0000-4000-8000-000000000002', true, false)$$,
  'each call wrote who, the new value and the previous one; the operator reads the trail.'
);
reset role;
select is((select trading_enabled from public.bot_settings where id = 1), true, 'the switch holds the last value.');
select ok(
  (select bool_and(at <= now() + interval '1 second') from public.trading_switch_audit), 'audit rows carry a time.'
);

-- The service role manages membership (and is not an operator: it has no user id).
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select lives_ok(
  $$insert into public.members (user_id, role) values ('aaaaaaaa-0000-4000-8000-000000000003', 'viewer')$$,
  'the service role adds a member.'
);
select throws_ok(
  'select public.set_trading_enabled(false)', '42501', null,
  'the service role uses the table, not the operators'' RPC (it has no user to audit).'
);
reset role;

select * from finish();
rollback;
