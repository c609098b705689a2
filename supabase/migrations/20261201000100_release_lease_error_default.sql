-- p_error gets a default of null, so a run that ended without an error can leave it out. The generated database
-- types (supabase gen types) mark only defaulted arguments optional; without a default they type p_error as a
-- non-null string and a clean run could not say "no error" without a cast. The body is unchanged (restated because
-- create or replace needs it).
create or replace function public.release_venue_lease(
  p_run_id uuid,
  p_outcome text,
  p_summary jsonb,
  p_error text default null
)
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

