create or replace function lock_current_tenant() returns boolean
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  perform 1 from tenants where id = nullif(current_setting('app.current_tenant_id', true), '')::uuid for update;
  return found;
end
$$;
select set_config('search_path', format('%I, pg_temp', current_schema()), true);

create or replace function enforce_tenant_quotas() returns trigger
language plpgsql security definer set search_path from current
as $$
declare
  tenant_ids uuid[];
  locked uuid[];
  resources text[];
  amounts bigint[];
  over record;
begin
  -- what this statement (or, for a growing size_bytes, this row) adds, per tenant and quota
  if tg_level = 'ROW' then
    tenant_ids := array[new.tenant_id];
    resources := array['storage'];
    amounts := array[new.size_bytes - old.size_bytes];
  elsif tg_table_name = 'assets' then
    select array_agg(g.tenant_id), array_agg(v.resource), array_agg(v.amount) into tenant_ids, resources, amounts
    from (select tenant_id, count(*) as n, sum(size_bytes)::bigint as bytes from new_rows group by tenant_id) g
    cross join lateral (values ('assets', g.n), ('storage', g.bytes)) v (resource, amount)
    where v.amount > 0;
  else
    select array_agg(g.tenant_id), array_agg(case tg_table_name when 'memberships' then 'users' else tg_table_name end), array_agg(g.n)
      into tenant_ids, resources, amounts
    from (select tenant_id, count(*) as n from new_rows group by tenant_id) g;
  end if;

  if tenant_ids is null then
    return null;
  end if;

  -- lock the tenants to check (not those this transaction wrote), in id order
  select array_agg(l.id) into locked
  from (select t.id from tenants t
        where t.id = any(tenant_ids) and t.xmin <> pg_current_xact_id()::xid
        order by t.id
        for no key update) l;
  if locked is null then
    return null;
  end if;
  -- A REPEATABLE READ snapshot would not see an insert committed while it waited
  -- for the lock. The control plane (superuser or BYPASSRLS login: restore,
  -- delete) locks the tenant row FOR UPDATE before such writes; any other
  -- session must use READ COMMITTED or SERIALIZABLE.
  if current_setting('transaction_isolation') = 'repeatable read'
      and not (select r.rolsuper or r.rolbypassrls from pg_roles r where r.rolname = session_user) then
    raise exception 'writes to % are quota-checked and need READ COMMITTED or SERIALIZABLE isolation, not REPEATABLE READ', tg_table_name
      using errcode = 'feature_not_supported';
  end if;

  -- a new statement, so a new snapshot: whatever committed while it waited is counted
  select t.id, t.subdomain, g.resource, g.amount, e.used, e.quota into over
  from unnest(resources, amounts, tenant_ids) g (resource, amount, tenant_id)
  join tenants t on t.id = g.tenant_id
  cross join lateral quota_excess(t.id, t.max_assets, t.max_users, t.max_devices, t.storage_quota_gb) e
  where g.tenant_id = any(locked) and e.resource = g.resource
  order by t.id, g.resource
  limit 1;
  if found then
    raise exception '%', case over.resource
        when 'storage' then format('storage: %s GB in use of %s GB allowed (storage_quota_gb) in %s; %s more refused',
          round((over.used - over.amount) / 1073741824.0, 2), over.quota / 1073741824, over.subdomain, pg_size_pretty(over.amount))
        else format('%s: %s in use of %s allowed (max_%s) in %s; %s more refused',
          over.resource, over.used - over.amount, over.quota, over.resource, over.subdomain, over.amount)
      end
      using errcode = 'AQ001',
        detail = json_build_object('tenantId', over.id, 'subdomain', over.subdomain, 'resource', over.resource,
          'used', over.used - over.amount, 'adding', over.amount, 'limit', over.quota)::text,
        hint = 'Raise the limit (anthias tenant update / tenant plan) or reduce usage first.';
  end if;
  return null;
end
$$;

drop trigger memberships_quota on memberships;
drop trigger assets_quota on assets;
drop trigger assets_storage_quota on assets;
drop trigger devices_quota on devices;
create trigger memberships_quota after insert on memberships
  referencing new table as new_rows for each statement execute function enforce_tenant_quotas();
create trigger assets_quota after insert on assets
  referencing new table as new_rows for each statement execute function enforce_tenant_quotas();
-- row by row, so that the many updates that do not grow an asset cost nothing
create trigger assets_storage_quota after update of size_bytes on assets
  for each row when (new.size_bytes > old.size_bytes) execute function enforce_tenant_quotas();
create trigger devices_quota after insert on devices
  referencing new table as new_rows for each statement execute function enforce_tenant_quotas();

create or replace function tenant_usage(tenant uuid)
returns table (assets integer, users integer, devices integer, storage_bytes bigint)
language sql stable
as $$
  select a.n, (select count(*)::int from memberships where tenant_id = tenant),
    (select count(*)::int from devices where tenant_id = tenant), a.bytes
  from (select count(*)::int as n, coalesce(sum(size_bytes), 0)::bigint as bytes from assets where tenant_id = tenant) a
$$;
drop trigger if exists assets_clear_references on assets;
drop trigger if exists memberships_clear_references on memberships;
drop function if exists clear_references();
alter table qr_contents drop constraint qr_contents_tenant_id_asset_id_fkey;
alter table qr_contents add constraint qr_contents_tenant_id_asset_id_fkey
  foreign key (tenant_id, asset_id) references assets (tenant_id, id) on delete set null (asset_id);
alter table assets drop constraint assets_tenant_id_created_by_fkey;
alter table assets add constraint assets_tenant_id_created_by_fkey
  foreign key (tenant_id, created_by) references memberships (tenant_id, user_id) on delete set null (created_by);
drop view if exists tenant_usages;
drop table if exists tenant_domains;
