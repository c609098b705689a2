-- Issue 18, reliability: an unanswered regional call marks its region; the burst schedule skips unanswering regions
-- along the venue's ranking; pg_cron's watcher (check_regional_calls) reads pg_net's responses and re-sends an
-- unanswered burst to the next region for the rest of its duration; a region is back once it samples again.
-- pg_net (http_post, _http_response) and Vault are stood in for inside the transaction; everything is rolled back.
begin;
select plan(27);

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
create table net._http_response (id bigint primary key, status_code integer, timed_out boolean, error_msg text);
insert into vault.decrypted_secrets values ('project_url', 'https://fake-ref.supabase.test'),
  ('secret_key', 'sb_secret_fake0000000000000000000000000000000');

update public.bot_settings set project_region = null, home_region_overrides = '{}' where id = 1;
delete from public.latency_logs;
delete from public.venue_home_regions;
insert into public.venue_home_regions (venue, region, source, median_ms, samples, fallback_regions) values
  ('binance', 'ap-southeast-1', 'measured', 10, 20, array['ap-northeast-1', 'us-east-1']),
  ('okx', 'ap-southeast-1', 'measured', 16, 20, '{}');

-- The ranking and the marks.
select throws_ok(
  $$update public.venue_home_regions set fallback_regions = array['tokyo'] where venue = 'binance'$$,
  '23514', null, 'fallback regions must be region names.'
);
select ok(public.region_is_answering('ap-southeast-1'), 'a region with no unanswered call answers.');
select public.report_unanswered_call('trade-burst', 'ap-southeast-1', 'HTTP 503');
select ok(not public.region_is_answering('ap-southeast-1'), 'an unanswered call marks its region.');
select results_eq(
  $$select body::text || ' ' || coalesce(region, '-') from public.function_schedule_invocations('trade-burst')$$,
  array['{"venues": ["binance"], "duration_ms": 45000} ap-northeast-1', '{"venues": ["okx"], "duration_ms": 45000} -'],
  'bursts skip the unanswering home: binance goes to its next region, okx (no other ranked region) to no region.'
);
select public.report_unanswered_call('trade-burst', 'ap-southeast-1', 'HTTP 503');
select is(
  (select failures from public.region_outages where region = 'ap-southeast-1'), 2,
  'a second unanswered call adds to the same outage.'
);
select throws_ok(
  $$select public.report_unanswered_call('trade-burst', 'tokyo', '')$$, '22023', null,
  'a report must name a region.'
);
update public.bot_settings set home_region_overrides = '{"binance": "ap-southeast-1"}' where id = 1;
select is(
  public.venue_burst_region('binance'), 'ap-southeast-1', 'an override is a pin by hand: honoured as set.'
);
update public.bot_settings set home_region_overrides = '{}' where id = 1;

-- A sample taken in the region after its last failure: it answers again, and a later failure is a new outage. (The
-- clock stands still inside a transaction: the failure is moved back instead.)
update public.region_outages set since = now() - interval '10 seconds', failed_at = now() - interval '10 seconds';
insert into public.latency_logs (venue, latency_ms, region, ts)
  values ('binance', 20, 'ap-southeast-1', now() - interval '5 seconds');
select ok(public.region_is_answering('ap-southeast-1'), 'a region that samples again is answering again.');
select is(public.venue_burst_region('binance'), 'ap-southeast-1', 'and the venue''s bursts go home.');
select public.report_unanswered_call('latency-sample', 'ap-southeast-1', 'HTTP 503');
select is(
  (select failures from public.region_outages where region = 'ap-southeast-1'), 1,
  'a failure after the region answered again starts a new outage.'
);
delete from public.region_outages;

-- Two reports of one region at once: the one whose transaction started first (an earlier now()) updates the row the
-- later one inserted. Stood in for by a row dated after this transaction's now().
insert into public.region_outages (region, function_name, since, failed_at)
  values ('ap-southeast-1', 'trade-burst', now() + interval '1 millisecond', now() + interval '1 millisecond');
select lives_ok(
  $$select public.report_unanswered_call('trade-burst', 'ap-southeast-1', 'HTTP 503')$$,
  'a report that started before the outage''s first report is still recorded.'
);
select results_eq(
  $$select failures, failed_at = since from public.region_outages where region = 'ap-southeast-1'$$,
  $$values (2, true)$$,
  'it adds to the outage and keeps the latest failure time.'
);
delete from public.region_outages;

-- pg_cron: the fired job records its regional calls; the watcher reads pg_net's answers.
select is(public.run_function_schedule('trade-burst'), 2, 'the burst job sends one call per venue.');
select results_eq(
  $$select region || ' ' || (body -> 'venues')::text || ' ' || state || ' ' || attempt from public.regional_calls
     order by request_id$$,
  array['ap-southeast-1 ["binance"] sent 1', 'ap-southeast-1 ["okx"] sent 1'],
  'each regional call is recorded with its pg_net request id.'
);
select is(public.check_regional_calls(), 0, 'no answer yet and inside the start deadline: nothing to do.');

-- binance's call: the router answered 503. okx's: no response yet, but its burst took the lease.
insert into net._http_response (id, status_code, timed_out, error_msg)
  select request_id, 503, false, null from public.regional_calls where body -> 'venues' = '["binance"]';
insert into public.function_runs (function_name, venue, started_at, lease_expires_at)
  values ('trade-burst', 'okx', now(), now() + interval '1 minute');
-- The watcher runs a little later than the firing (its own transaction); time moves inside this one by shifting the
-- recorded send times back.
update public.regional_calls set sent_at = sent_at - interval '2 seconds';
update public.function_runs set started_at = now() - interval '1 second' where function_name = 'trade-burst';
select is(public.check_regional_calls(), 1, 'the unanswered burst is re-sent once.');
select results_eq(
  $$select region || ' ' || (body -> 'venues')::text || ' ' || state || ' ' || attempt || ' ' || coalesce(detail, '-')
      from public.regional_calls order by request_id$$,
  array[
    'ap-southeast-1 ["binance"] unanswered 1 HTTP 503',
    'ap-southeast-1 ["okx"] answered 1 started',
    'ap-northeast-1 ["binance"] sent 2 -'
  ],
  'binance''s call is unanswered, okx''s answered (its lease was taken), and binance went on in its next region.'
);
select ok(not public.region_is_answering('ap-southeast-1'), 'the watcher marked the region.');
select is(
  (select url from net.sent order by id desc limit 1),
  'https://fake-ref.supabase.test/functions/v1/trade-burst?forceFunctionRegion=ap-northeast-1',
  'the re-send is pinned to the next region.'
);
select ok(
  (select (body ->> 'duration_ms')::int between 42000 and 43000 from net.sent order by id desc limit 1),
  'for what is left of the burst (45 s less the ~2 s since the firing).'
);

-- The re-sent call never starts and gets no response: past the deadline it is unanswered too; the next in line is
-- N. Virginia.
update public.regional_calls set sent_at = now() - interval '21 seconds' where attempt = 2;
select is(public.check_regional_calls(), 1, 'a call that did not start within the deadline is re-sent as well.');
select results_eq(
  $$select region || ' ' || state || ' ' || attempt || ' ' || coalesce(detail, '-') from public.regional_calls
     where body -> 'venues' = '["binance"]' and attempt >= 2 order by request_id$$,
  array['ap-northeast-1 unanswered 2 no start within 00:00:20', 'us-east-1 sent 3 -'],
  'Tokyo is marked and binance goes on in N. Virginia, for the rest of the same burst.'
);
select ok(
  (select (body ->> 'duration_ms')::int between 21000 and 22000 from net.sent order by id desc limit 1),
  'the rest of the burst shrinks with the time lost (~43 s less 21 s).'
);

-- Too little left of the burst: the region is marked but nothing is re-sent (the next firing goes elsewhere).
update public.regional_calls set sent_at = now() - interval '18 seconds' where attempt = 3;
insert into net._http_response (id, status_code, timed_out, error_msg)
  select request_id, null, true, 'Timeout was reached' from public.regional_calls where attempt = 3;
select is(public.check_regional_calls(), 0, 'a burst with under 5 s left is not re-sent.');
select ok(not public.region_is_answering('us-east-1'), 'a timed-out call still marks its region.');

-- latency-sample calls: marked when unanswered, never re-sent.
delete from public.regional_calls;
delete from public.region_outages;
update public.bot_settings set candidate_regions = array['ap-northeast-1'] where id = 1;
select public.run_function_schedule('latency-sample');
insert into net._http_response (id, status_code, timed_out, error_msg)
  select request_id, 503, false, null from public.regional_calls;
select is(public.check_regional_calls(), 0, 'an unanswered latency sample is not re-sent.');
select is(
  (select count(*)::int from public.region_outages where region = 'ap-northeast-1' and function_name = 'latency-sample'),
  1, 'but it marks the region, so the next burst firing skips it.'
);

select * from finish();
rollback;
