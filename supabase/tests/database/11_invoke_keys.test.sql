-- invoke_edge_function sends the Vault secret_key in apikey (the legacy service_role_key as bearer only when there is
-- no secret_key) and never lets either key into a cron command, a table or an error. This database has neither
-- pg_net nor Vault, so the test stands in for both inside its transaction: a net.http_post with pg_net's signature
-- that records what it was asked to send, and a vault.decrypted_secrets table. Everything is rolled back.
begin;
select plan(12);

create schema vault;
create table vault.decrypted_secrets (name text primary key, decrypted_secret text);
create schema net;
create table net.sent (id bigint generated always as identity, url text, body jsonb, headers jsonb, timeout_ms integer);
create function net.http_post(
  url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer default 5000
) returns bigint language sql as $$
  insert into net.sent (url, body, headers, timeout_ms) values (url, body, headers, timeout_milliseconds) returning id
$$;

insert into vault.decrypted_secrets values ('project_url', 'https://fake-ref.supabase.test/');

select throws_ok(
  $$select public.invoke_edge_function('latency-sample', '{}'::jsonb, 30000)$$,
  'P0002', 'invoke_edge_function(latency-sample): Vault has no secret named secret_key (nor the legacy service_role_key)',
  'with no key in Vault the call fails, naming the secret to create.'
);

-- A legacy-only project: the service role key as bearer.
insert into vault.decrypted_secrets values ('service_role_key', 'eyJfake.legacy.service-role');
select lives_ok(
  $$select public.invoke_edge_function('balance-sync', '{}'::jsonb, 30000)$$, 'a legacy-only project still calls.'
);
select is(
  (select headers from net.sent order by id desc limit 1),
  '{"Content-Type": "application/json", "Authorization": "Bearer eyJfake.legacy.service-role"}'::jsonb,
  'without secret_key the legacy service_role_key goes as Authorization: Bearer.'
);

-- A project with a secret key (beside or without the legacy key): apikey, and no bearer at all.
insert into vault.decrypted_secrets values ('secret_key', 'sb_secret_fake0000000000000000000000000000000');
select is(
  public.invoke_edge_function('trade-burst', '{"duration_ms": 45000}'::jsonb, 60000), 2::bigint,
  'the call returns the pg_net request id.'
);
select is(
  (select headers from net.sent order by id desc limit 1),
  '{"Content-Type": "application/json", "apikey": "sb_secret_fake0000000000000000000000000000000"}'::jsonb,
  'with secret_key it goes in apikey, and no Authorization header is sent.'
);
select is(
  (select url || ' ' || body::text || ' ' || timeout_ms from net.sent order by id desc limit 1),
  'https://fake-ref.supabase.test/functions/v1/trade-burst {"duration_ms": 45000} 60000',
  'the URL, body and timeout are the job''s.'
);
delete from vault.decrypted_secrets where name = 'service_role_key';
select lives_ok(
  $$select public.invoke_edge_function('latency-sample', '{}'::jsonb, 30000)$$,
  'a project without legacy keys calls with the secret key alone.'
);

-- An empty secret_key counts as none.
update vault.decrypted_secrets set decrypted_secret = '' where name = 'secret_key';
select throws_ok(
  $$select public.invoke_edge_function('latency-sample', '{}'::jsonb, 30000)$$,
  'P0002', null, 'an empty secret_key is not sent.'
);
update vault.decrypted_secrets set decrypted_secret = 'sb_secret_fake0000000000000000000000000000000'
 where name = 'secret_key';

-- No key in any error: a bad argument after the key is in Vault says nothing about it.
-- The message, detail and hint of the error `statement` raises (null when it raises none).
create function pg_temp.error_of(statement text) returns text language plpgsql as $$
declare
  detail text;
  hint text;
begin
  execute statement;
  return null;
exception when others then
  get stacked diagnostics detail = pg_exception_detail, hint = pg_exception_hint;
  return concat_ws(' ', sqlerrm, detail, hint);
end;
$$;
select ok(
  (select bool_and(e is not null and e !~ 'sb_secret|eyJ') from (values
    (pg_temp.error_of($$select public.invoke_edge_function('Bad Name', '{}'::jsonb, 30000)$$)),
    (pg_temp.error_of($$select public.invoke_edge_function('trade-burst', '[]'::jsonb, 30000)$$)),
    (pg_temp.error_of($$select public.invoke_edge_function('trade-burst', '{}'::jsonb, 5)$$))
  ) as errors (e)),
  'errors name the bad argument and never a key.'
);
delete from vault.decrypted_secrets where name = 'project_url';
select ok(
  pg_temp.error_of($$select public.invoke_edge_function('trade-burst', '{}'::jsonb, 30000)$$) !~ 'sb_secret|eyJ',
  'the missing project_url error does not show the key either.'
);

-- Nothing in the database holds a key but Vault (and this test's stand-in for pg_net's queue).
select ok(
  not exists (select 1 from cron.job where command ~ 'sb_secret|eyJ|apikey|Bearer'),
  'no cron command holds a key or an auth header.'
);
select ok(
  not exists (
    select 1 from public.function_runs r where r::text ~ 'sb_secret|eyJ'
    union all select 1 from public.function_schedules s where s::text ~ 'sb_secret|eyJ'
  ),
  'no function_runs or function_schedules row holds a key.'
);

select * from finish();
rollback;
