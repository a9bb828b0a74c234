-- Reverts 0002_plan_catalog. Tenants refer to the plans (and their overrides to
-- the features), so the catalog cannot go while a tenant exists; reverting to 0
-- leaves the rows to 0001's down script, which drops them with their tables.
do $$
begin
  if current_setting('anthias.revert_to', true) = '0' then
    return;
  end if;
  if exists (select 1 from tenants) then
    raise exception 'tenants use the plan catalog: delete them first, or revert to 0 (which drops every table)'
      using errcode = 'dependent_objects_still_exist';
  end if;
  delete from plans where id in ('basic', 'professional', 'enterprise');
  delete from features;
end
$$;
