-- Issue 14: a run whose function died (no lease, never finished) stayed `running` forever. An Edge Function cannot
-- run longer than 400 s, so a run without a lease still `running` 15 minutes after it started is dead: the next run
-- of the same function marks it `abandoned` with the reason, and it ages out like every other finished run. (Runs
-- with a lease are handled by acquire_venue_lease and prune_old_rows when the lease expires.)

create or replace function public.function_runs_expire_dead()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.function_runs r
     set outcome = 'abandoned',
         finished_at = r.started_at + interval '15 minutes',
         duration_ms = 900000,
         error = coalesce(r.error || '; ', '') || 'expired: no finish recorded within 15 minutes (the function died)'
   where r.function_name = new.function_name
     and r.outcome = 'running'
     and r.lease_expires_at is null
     and r.started_at < new.started_at - interval '15 minutes';
  return new;
end;
$$;

create trigger function_runs_expire_dead
  before insert on public.function_runs
  for each row execute function public.function_runs_expire_dead();

revoke all on function public.function_runs_expire_dead() from public, anon, authenticated, service_role;
