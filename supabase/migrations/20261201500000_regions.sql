-- Issue 18: each venue trades from the Edge region nearest its matching engine, chosen by measurement.
-- Samples say where they were taken; settings hold the candidate regions and an override per venue; the chosen home
-- region per venue lives in venue_home_regions (written by latency-sample, the service role). A project whose
-- platform does not report regions keeps today's behaviour: samples with region null, no home region, one call
-- without a region for all venues.

-- Supabase region names look like ap-northeast-1 / eu-central-1 / us-east-1.
create function public.region_name_is_valid(p_region text) returns boolean
language sql
immutable
set search_path = ''
as $$
  select p_region ~ '^[a-z]{2}-[a-z]+-[0-9]{1,2}$'
$$;

comment on function public.region_name_is_valid(text) is 'Check helper: an AWS-style region name such as ap-northeast-1.';
revoke all on function public.region_name_is_valid(text) from public, anon, authenticated;
grant execute on function public.region_name_is_valid(text) to service_role;

-- Where the function that took the sample ran (SB_REGION); null when the platform did not say.
alter table public.latency_logs add column region text
  constraint latency_logs_region_shape check (region is null or public.region_name_is_valid(region));
comment on column public.latency_logs.region is 'Edge region the sample was taken from (SB_REGION); null if unknown.';
create index latency_logs_venue_region_ts_idx on public.latency_logs (venue, region, ts desc);

alter table public.bot_settings
  -- Where latency-sample is invoked for every venue; the project's own region is added when known.
  add column candidate_regions text[] not null
    default array['ap-northeast-1', 'ap-southeast-1', 'eu-central-1', 'us-east-1']
    constraint bot_settings_candidate_regions_shape check (
      array_ndims(candidate_regions) is null
      or (array_ndims(candidate_regions) = 1 and cardinality(candidate_regions) <= 16
        and array_position(candidate_regions, null) is null
        and array_to_string(candidate_regions, ',') ~ '^[a-z]{2}-[a-z]+-[0-9]{1,2}(,[a-z]{2}-[a-z]+-[0-9]{1,2})*$')
    ),
  -- The database's region (where pg_cron calls land without a region); null when not configured.
  add column project_region text
    constraint bot_settings_project_region_shape check (project_region is null or public.region_name_is_valid(project_region)),
  -- {"binance": "ap-northeast-1"}: pins a venue's home region by hand, whatever the measurements say.
  add column home_region_overrides jsonb not null default '{}'::jsonb
    constraint bot_settings_home_region_overrides_shape check (
      jsonb_typeof(home_region_overrides) = 'object'
      and not jsonb_path_exists(home_region_overrides, '$.keyvalue() ? (!(@.key like_regex "^(binance|okx)$") || @.value.type() != "string" || !(@.value like_regex "^[a-z]{2}-[a-z]+-[0-9]{1,2}$"))')
    ),
  -- A region needs this many fresh successful samples before it can be (or stay) a home region.
  add column home_region_min_samples integer not null default 10
    constraint bot_settings_home_region_min_samples_range check (home_region_min_samples between 1 and 1000),
  -- A challenger must beat the current home's median by this many percent: hysteresis against flapping.
  add column home_region_margin_pct numeric not null default 15
    constraint bot_settings_home_region_margin_pct_range check (home_region_margin_pct >= 0 and home_region_margin_pct < 100),
  -- Samples older than this do not count. 150 s = two and a half one-minute rounds: with 5 samples per call and
  -- min 10, a region stays eligible while a round is in flight (calls of one round decide concurrently, so a
  -- region's own samples of this round may not be in yet), and one that stops answering drops below 10 fresh
  -- samples at the second round after its last answer.
  add column home_region_max_age_seconds integer not null default 150
    constraint bot_settings_home_region_max_age_seconds_range check (home_region_max_age_seconds between 10 and 86400);

-- One row per venue: where its bursts run. Written by latency-sample (service role); members read it.
create table public.venue_home_regions (
  venue text primary key constraint venue_home_regions_venue_known check (venue in ('binance', 'okx')),
  region text not null constraint venue_home_regions_region_shape check (public.region_name_is_valid(region)),
  -- measured: best fresh median; override: settings say so.
  source text not null constraint venue_home_regions_source_known check (source in ('measured', 'override')),
  median_ms numeric constraint venue_home_regions_median_ms_nonnegative check (median_ms >= 0),
  samples integer not null default 0 constraint venue_home_regions_samples_nonnegative check (samples >= 0),
  -- Chosen with every sampled candidate eligible; only a settled home is protected by the hysteresis margin (the
  -- concurrent calls of one round may decide before all regions' samples are in).
  settled boolean not null default false,
  -- Why the decision came out as it did (kept by hysteresis, switched, fell back), for the dashboards.
  reason text not null default '',
  -- When the region last changed (not every re-confirmation).
  chosen_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.venue_home_regions is
  'Per venue, the Edge region its trade-burst runs in (best recent median round trip, with hysteresis).';

create trigger venue_home_regions_set_updated_at
  before update on public.venue_home_regions
  for each row execute function public.set_updated_at();

alter table public.venue_home_regions enable row level security;

create policy venue_home_regions_select_members on public.venue_home_regions
  for select to authenticated using ((select public.member_role()) is not null);

revoke all on table public.venue_home_regions from anon, authenticated, service_role;
grant select on table public.venue_home_regions to authenticated;
grant select, insert, update, delete on table public.venue_home_regions to service_role;
