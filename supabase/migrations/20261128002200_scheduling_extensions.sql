-- The extensions production scheduling needs, each only where the server has it: pg_cron (job scheduler), pg_net
-- (HTTP from SQL) and supabase_vault (the project URL and invoke key, never written in a migration). A hosted
-- Supabase project has all three; a local database may lack pg_net and Vault, and then this says so and moves on.

do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    raise notice 'scheduling: pg_cron already installed';
  elsif not exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    raise notice 'scheduling: pg_cron is not available on this server; no cron jobs will be created';
  else
    begin
      -- Where Supabase's pg_cron guide puts it.
      create extension pg_cron with schema pg_catalog;
      raise notice 'scheduling: pg_cron installed';
    exception
      when others then
        -- Typically: pg_cron is not in shared_preload_libraries, or cron.database_name names another database.
        raise notice 'scheduling: pg_cron is available but could not be installed here (%); no cron jobs', sqlerrm;
    end;
  end if;
end
$$;

do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_net') then
    raise notice 'scheduling: pg_net already installed';
  elsif not exists (select 1 from pg_available_extensions where name = 'pg_net') then
    raise notice 'scheduling: pg_net is not available on this server; scheduled edge-function calls will fail '
      'with a clear error until it is installed';
  else
    begin
      create extension pg_net with schema extensions;
      raise notice 'scheduling: pg_net installed';
    exception
      when others then
        raise notice 'scheduling: pg_net is available but could not be installed here (%)', sqlerrm;
    end;
  end if;
end
$$;

do $$
begin
  if exists (select 1 from pg_extension where extname = 'supabase_vault') then
    raise notice 'scheduling: Vault already installed';
  elsif not exists (select 1 from pg_available_extensions where name = 'supabase_vault') then
    raise notice 'scheduling: Vault (supabase_vault) is not available on this server; scheduled edge-function '
      'calls will fail with a clear error until it is installed and holds project_url and service_role_key';
  else
    begin
      create extension supabase_vault;
      raise notice 'scheduling: Vault installed';
    exception
      when others then
        raise notice 'scheduling: Vault is available but could not be installed here (%)', sqlerrm;
    end;
  end if;
end
$$;
