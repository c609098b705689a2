-- Two unanswered calls to one region reported at once (a burst firing sends one call per venue, both to the same dead
-- home): each report's now() is its transaction's start, so the report that started first can update the row after
-- the later one inserted it, and setting failed_at = its own now() put failed_at before since (the check
-- region_outages_failed_after_since refused the report, and the burst was not re-sent). The latest failure wins.
create or replace function public.report_unanswered_call(p_function text, p_region text, p_detail text default '')
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_region is null or not public.region_name_is_valid(p_region) then
    raise exception 'report_unanswered_call: p_region must be a region name like ap-northeast-1, got %', p_region
      using errcode = 'invalid_parameter_value';
  end if;
  if p_function is null or p_function !~ '^[a-z][a-z0-9-]{0,62}$' then
    raise exception 'report_unanswered_call: p_function must be a function name, got %', p_function
      using errcode = 'invalid_parameter_value';
  end if;
  insert into public.region_outages as o (region, function_name, detail)
  values (p_region, p_function, left(coalesce(p_detail, ''), 500))
  on conflict (region) do update set
    -- A region that answered since its last failure starts a new outage.
    since = case when public.region_is_answering(o.region) then now() else o.since end,
    failures = case when public.region_is_answering(o.region) then 1 else o.failures + 1 end,
    failed_at = greatest(o.failed_at, now()),
    function_name = excluded.function_name,
    detail = excluded.detail;
end;
$$;
comment on function public.report_unanswered_call(text, text, text) is
  'Marks a region unanswering (its call got no answer); venue_burst_region skips it until it samples again.';
revoke all on function public.report_unanswered_call(text, text, text) from public, anon, authenticated;
grant execute on function public.report_unanswered_call(text, text, text) to service_role;
