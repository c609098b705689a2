-- Taking and giving back the per-venue lease (a running function_runs row with lease_expires_at).
-- security definer with an empty search_path, callable by the service role only.

-- Returns the new run id, or null when another live lease holds the venue. Leases past their expiry are first
-- marked abandoned (their holder died or overran), so a crashed burst never blocks the venue for longer than its TTL.
create function public.acquire_venue_lease(p_function text, p_venue text, p_ttl_seconds integer) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  run_id uuid;
begin
  if p_function is null or p_venue is null then
    raise exception 'acquire_venue_lease: p_function and p_venue are required (got %, %)', p_function, p_venue
      using errcode = 'invalid_parameter_value';
  end if;
  if p_ttl_seconds is null or p_ttl_seconds < 1 or p_ttl_seconds > 3600 then
    raise exception 'acquire_venue_lease: p_ttl_seconds must be between 1 and 3600, got %', p_ttl_seconds
      using errcode = 'invalid_parameter_value';
  end if;

  update public.function_runs
     set outcome = 'abandoned',
         finished_at = greatest(now(), started_at),
         duration_ms = greatest(0, round(extract(epoch from (now() - started_at)) * 1000))::integer,
         error = 'lease expired'
   where function_name = p_function
     and venue = p_venue
     and outcome = 'running'
     and lease_expires_at is not null
     and lease_expires_at < now();

  begin
    insert into public.function_runs (function_name, venue, started_at, lease_expires_at, outcome)
    values (p_function, p_venue, now(), now() + make_interval(secs => p_ttl_seconds), 'running')
    returning id into run_id;
  exception
    when unique_violation then
      -- Another live lease holds this venue: the caller skips cleanly.
      return null;
  end;
  return run_id;
end;
$$;

comment on function public.acquire_venue_lease(text, text, integer) is
  'Takes the lease for (function, venue) for p_ttl_seconds; returns the run id, or null when the venue is taken.';

-- Finishes a running run (leased or not): outcome, summary, error, finished_at and duration_ms. Raises when the run
-- is not running any more (already released, or abandoned because its lease expired), so an overrun is loud.
create function public.release_venue_lease(p_run_id uuid, p_outcome text, p_summary jsonb, p_error text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_outcome is null or p_outcome not in ('ok', 'partial', 'error', 'skipped') then
    raise exception 'release_venue_lease: p_outcome must be ok, partial, error or skipped, got %', p_outcome
      using errcode = 'invalid_parameter_value';
  end if;

  update public.function_runs
     set outcome = p_outcome,
         summary = p_summary,
         error = p_error,
         finished_at = greatest(now(), started_at),
         duration_ms = greatest(0, round(extract(epoch from (now() - started_at)) * 1000))::integer
   where id = p_run_id
     and outcome = 'running';

  if not found then
    raise exception 'release_venue_lease: run % is not running (unknown, already released or abandoned)', p_run_id
      using errcode = 'no_data_found';
  end if;
end;
$$;

comment on function public.release_venue_lease(uuid, text, jsonb, text) is
  'Finishes a running run and frees its lease; raises no_data_found when the run is not running.';

-- Supabase grants new functions to every API role by default: take that back, then allow only the service role.
revoke all on function public.acquire_venue_lease(text, text, integer) from public, anon, authenticated;
revoke all on function public.release_venue_lease(uuid, text, jsonb, text) from public, anon, authenticated;
grant execute on function public.acquire_venue_lease(text, text, integer) to service_role;
grant execute on function public.release_venue_lease(uuid, text, jsonb, text) to service_role;
