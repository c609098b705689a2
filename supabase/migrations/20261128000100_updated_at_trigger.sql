-- One trigger function that keeps every table's updated_at honest, whoever writes the row.

create function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

comment on function public.set_updated_at() is 'Trigger: stamps updated_at on every update.';

-- Supabase grants new functions to everyone by default; a trigger function needs no caller at all.
revoke all on function public.set_updated_at() from public, anon, authenticated, service_role;
