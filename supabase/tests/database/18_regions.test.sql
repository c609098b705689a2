-- Issue 18: samples carry their region, settings hold candidates and overrides, venue_home_regions is readable by
-- members only, and the schedules fan out per venue and region through invoke_edge_function's forceFunctionRegion,
-- without a key or URL in any cron command. pg_net and Vault are stood in for inside the transaction, as in
-- 11_invoke_keys; everything is rolled back.
begin;
select plan(24);

select has_column('public', 'latency_logs', 'region', 'latency_logs says where each sample was taken.');
select lives_ok(
  $$insert into public.latency_logs (venue, latency_ms, region) values ('binance', 5, 'ap-northeast-1'),
      ('binance', 7, null)$$,
  'a sample with a region, and one whose region is unknown, are both accepted.'
);
select throws_ok(
  $$insert into public.latency_logs (venue, latency_ms, region) values ('binance', 5, 'Tokyo')$$,
  '23514', null, 'a region that is not a region name is refused.'
);
select is(
  (select candidate_regions from public.bot_settings where id = 1),
  array['ap-northeast-1', 'ap-southeast-1', 'eu-central-1', 'us-east-1'],
  'default candidates: Tokyo, Singapore, Frankfurt, N. Virginia.'
);
select throws_ok(
  $$update public.bot_settings set home_region_overrides = '{"binance": "tokyo"}' where id = 1$$,
  '23514', null, 'an override must name a region.'
);
select throws_ok(
  $$update public.bot_settings set home_region_overrides = '{"kraken": "eu-central-1"}' where id = 1$$,
  '23514', null, 'an override must name a known venue.'
);
select lives_ok(
  $$update public.bot_settings set home_region_overrides = '{"okx": "ap-southeast-1"}' where id = 1$$,
  'a well-formed override is accepted.'
);
update public.bot_settings set home_region_overrides = '{}' where id = 1;

-- The project's own region joins the candidates once.
update public.bot_settings set project_region = 'eu-central-1' where id = 1;
select is(
  public.candidate_regions(), array['ap-northeast-1', 'ap-southeast-1', 'eu-central-1', 'us-east-1'],
  'the project region already in the list is not repeated.'
);
update public.bot_settings set project_region = 'eu-west-2' where id = 1;
select is(
  public.candidate_regions(), array['ap-northeast-1', 'ap-southeast-1', 'eu-central-1', 'us-east-1', 'eu-west-2'],
  'the project region is added after the configured candidates.'
);

-- venue_home_regions: members read, nobody else; only the service role writes.
insert into public.venue_home_regions (venue, region, source, median_ms, samples)
  values ('binance', 'ap-northeast-1', 'measured', 6, 20);
insert into public.members (user_id, role) values ('aaaaaaaa-0000-4000-8000-000000000001', 'viewer');
set local role authenticated;
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-000000000009"}';
select is_empty('select * from public.venue_home_regions', 'a signed-in non-member sees no home region.');
set local request.jwt.claims to '{"role": "authenticated", "sub": "aaaaaaaa-0000-4000-8000-000000000001"}';
select results_eq(
  'select venue || '' '' || region from public.venue_home_regions', array['binance ap-northeast-1'],
  'a member reads the home regions.'
);
select throws_ok(
  $$update public.venue_home_regions set region = 'us-east-1'$$, '42501', null, 'a member cannot change them.'
);
reset role;
set local role anon;
select throws_ok('select * from public.venue_home_regions', '42501', null, 'anon cannot read them.');
reset role;
select policies_are('public', 'venue_home_regions', array['venue_home_regions_select_members']);

-- Fan-out: sampling from every candidate, bursts per home region.
update public.bot_settings set project_region = null where id = 1;
select results_eq(
  $$select body::text || ' ' || coalesce(region, '-') from public.function_schedule_invocations('latency-sample')$$,
  array[
    '{"venues": ["binance"]} ap-northeast-1', '{"venues": ["binance"]} ap-southeast-1',
    '{"venues": ["binance"]} eu-central-1', '{"venues": ["binance"]} us-east-1',
    '{"venues": ["okx"]} ap-northeast-1', '{"venues": ["okx"]} ap-southeast-1',
    '{"venues": ["okx"]} eu-central-1', '{"venues": ["okx"]} us-east-1'
  ],
  'latency-sample fans out to each active venue from each candidate region.'
);
select results_eq(
  $$select body::text || ' ' || coalesce(region, '-') from public.function_schedule_invocations('trade-burst')$$,
  array['{"venues": ["binance"], "duration_ms": 45000} ap-northeast-1', '{"venues": ["okx"], "duration_ms": 45000} -'],
  'trade-burst runs binance in its home region and okx (no home yet) without a region.'
);
update public.bot_settings set home_region_overrides = '{"binance": "eu-central-1", "okx": "eu-central-1"}' where id = 1;
select results_eq(
  $$select body::text || ' ' || coalesce(region, '-') from public.function_schedule_invocations('trade-burst')$$,
  array['{"venues": ["binance"], "duration_ms": 45000} eu-central-1', '{"venues": ["okx"], "duration_ms": 45000} eu-central-1'],
  'overrides win; one call per venue.'
);
update public.bot_settings set home_region_overrides = '{}', candidate_regions = '{}' where id = 1;
delete from public.venue_home_regions;
select results_eq(
  $$select body::text || ' ' || coalesce(region, '-') from public.function_schedule_invocations('trade-burst')
    union all
    select body::text || ' ' || coalesce(region, '-') from public.function_schedule_invocations('latency-sample')$$,
  array['{"duration_ms": 45000} -', '{} -'],
  'with no regions at all both degrade to today''s single call without a region.'
);

update public.bot_settings set candidate_regions = array['ap-northeast-1', 'eu-central-1'] where id = 1;
delete from public.latency_logs;
insert into public.latency_logs (venue, latency_ms, region) values ('okx', 9, null);
select results_eq(
  $$select body::text || ' ' || coalesce(region, '-') from public.function_schedule_invocations('latency-sample')$$,
  array['{} -'],
  'samples that carry no region (the platform reports none): latency-sample is one plain call again.'
);
delete from public.latency_logs;

-- invoke_edge_function with a region, through stand-ins for pg_net and Vault.
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
insert into vault.decrypted_secrets values ('project_url', 'https://fake-ref.supabase.test'),
  ('secret_key', 'sb_secret_fake0000000000000000000000000000000');
select public.invoke_edge_function('latency-sample', '{}'::jsonb, 30000, 'ap-northeast-1');
select is(
  (select url from net.sent order by id desc limit 1),
  'https://fake-ref.supabase.test/functions/v1/latency-sample?forceFunctionRegion=ap-northeast-1',
  'a region goes as the forceFunctionRegion query parameter.'
);
select throws_ok(
  $$select public.invoke_edge_function('latency-sample', '{}'::jsonb, 30000, 'tokyo; drop')$$,
  '22023', null, 'a region that is not a region name is refused before anything is sent.'
);
update public.bot_settings set candidate_regions = array['ap-northeast-1', 'eu-central-1'] where id = 1;
delete from net.sent;
select is(public.run_function_schedule('latency-sample'), 4, 'the cron job sends one call per venue and region.');
select results_eq(
  $$select url || ' ' || body::text from net.sent order by id$$,
  array[
    'https://fake-ref.supabase.test/functions/v1/latency-sample?forceFunctionRegion=ap-northeast-1 {"venues": ["binance"]}',
    'https://fake-ref.supabase.test/functions/v1/latency-sample?forceFunctionRegion=eu-central-1 {"venues": ["binance"]}',
    'https://fake-ref.supabase.test/functions/v1/latency-sample?forceFunctionRegion=ap-northeast-1 {"venues": ["okx"]}',
    'https://fake-ref.supabase.test/functions/v1/latency-sample?forceFunctionRegion=eu-central-1 {"venues": ["okx"]}'
  ],
  'each call carries its venue and region; the key stays in the headers.'
);
select ok(
  not exists (select 1 from cron.job where command ~* 'https?://|bearer|eyJ|sb_secret'),
  'no URL or key is written into a cron command.'
);

select * from finish();
rollback;
