-- The subdomains and custom domains tenants hold, one row per tenant, so that
-- their uniqueness holds however the tenants table is stored: on Citus,
-- tenants is distributed by id and a unique index on lower(subdomain) cannot
-- be kept there (db migrate drops it), while this small table becomes a
-- reference table whose unique indexes cover every tenant. Names are stored
-- lowercased; the application writes a tenant's row in the transaction that
-- writes the tenant (src/lib/tenant-domains.ts).
create table tenant_domains (
  tenant uuid primary key,
  subdomain text not null,
  custom_domain text
);
create unique index tenant_domains_subdomain_key on tenant_domains (subdomain);
create unique index tenant_domains_custom_domain_key on tenant_domains (custom_domain) where custom_domain is not null;

insert into tenant_domains (tenant, subdomain, custom_domain)
select id, lower(subdomain), lower(custom_domain) from tenants;

-- ON DELETE SET NULL (column) foreign keys become plain ones, with the nulling
-- done by a trigger before the referenced row goes: Citus refuses SET NULL on
-- a foreign key that includes the distribution column (tenant_id), and this
-- way both storages behave alike.
alter table assets drop constraint assets_tenant_id_created_by_fkey;
alter table assets add constraint assets_tenant_id_created_by_fkey
  foreign key (tenant_id, created_by) references memberships (tenant_id, user_id);
alter table qr_contents drop constraint qr_contents_tenant_id_asset_id_fkey;
alter table qr_contents add constraint qr_contents_tenant_id_asset_id_fkey
  foreign key (tenant_id, asset_id) references assets (tenant_id, id);

create function clear_references() returns trigger
language plpgsql as $$
begin
  if tg_argv[0] = 'memberships' then
    update assets set created_by = null where tenant_id = old.tenant_id and created_by = old.user_id;
  else
    update qr_contents set asset_id = null where tenant_id = old.tenant_id and asset_id = old.id;
  end if;
  return old;
end
$$;
create trigger memberships_clear_references before delete on memberships
  for each row execute function clear_references('memberships');
create trigger assets_clear_references before delete on assets
  for each row execute function clear_references('assets');

-- What each tenant uses, as a view: a query over it joins tenants on the
-- distribution column, so Citus runs it on the shards (one shard for one
-- tenant), and reading one tenant's row keeps PostgreSQL's plan to its rows.
create view tenant_usages as
select t.id as tenant_id, coalesce(a.n, 0)::int as assets, coalesce(m.n, 0)::int as users,
  coalesce(d.n, 0)::int as devices, coalesce(a.bytes, 0)::bigint as storage_bytes
from tenants t
left join (select tenant_id, count(*) as n, sum(size_bytes) as bytes from assets group by tenant_id) a on a.tenant_id = t.id
left join (select tenant_id, count(*) as n from memberships group by tenant_id) m on m.tenant_id = t.id
left join (select tenant_id, count(*) as n from devices group by tenant_id) d on d.tenant_id = t.id;

-- tenant_usage reads it, in PL/pgSQL: Citus cannot plan a parameterized SQL
-- function over distributed tables (the SQL function this replaces).
create or replace function tenant_usage(tenant uuid)
returns table (assets integer, users integer, devices integer, storage_bytes bigint)
language plpgsql stable
as $$
begin
  return query select u.assets, u.users, u.devices, u.storage_bytes from tenant_usages u where u.tenant_id = tenant;
end
$$;

-- The quota triggers name their table (on Citus they fire on shards, under the
-- shard's name), and check tenant by tenant (on Citus, no query over
-- distributed tables may run inside another).
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
  tid uuid;
  limits record;
  -- the table's name as the trigger gives it (on Citus, tg_table_name is a shard's)
  tbl text := coalesce(tg_argv[0], tg_table_name);
begin
  -- what this statement (or, for a growing size_bytes, this row) adds, per tenant and quota
  if tg_level = 'ROW' then
    tenant_ids := array[new.tenant_id];
    resources := array['storage'];
    amounts := array[new.size_bytes - old.size_bytes];
  elsif tbl = 'assets' then
    select array_agg(g.tenant_id), array_agg(v.resource), array_agg(v.amount) into tenant_ids, resources, amounts
    from (select tenant_id, count(*) as n, sum(size_bytes)::bigint as bytes from new_rows group by tenant_id) g
    cross join lateral (values ('assets', g.n), ('storage', g.bytes)) v (resource, amount)
    where v.amount > 0;
  else
    select array_agg(g.tenant_id), array_agg(case tbl when 'memberships' then 'users' else tbl end), array_agg(g.n)
      into tenant_ids, resources, amounts
    from (select tenant_id, count(*) as n from new_rows group by tenant_id) g;
  end if;

  if tenant_ids is null then
    return null;
  end if;

  -- lock the tenants to check (not those this transaction wrote), in id order, one by one (on
  -- Citus a row lock is taken on one shard at a time)
  for tid in select distinct u from unnest(tenant_ids) u order by u loop
    perform 1 from tenants t where t.id = tid and t.xmin <> pg_current_xact_id()::xid for no key update;
    if found then
      locked := locked || tid;
    end if;
  end loop;
  if locked is null then
    return null;
  end if;
  -- A REPEATABLE READ snapshot would not see an insert committed while it waited
  -- for the lock. The control plane (superuser or BYPASSRLS login: restore,
  -- delete) locks the tenant row FOR UPDATE before such writes; any other
  -- session must use READ COMMITTED or SERIALIZABLE.
  if current_setting('transaction_isolation') = 'repeatable read'
      and not (select r.rolsuper or r.rolbypassrls from pg_roles r where r.rolname = session_user) then
    raise exception 'writes to % are quota-checked and need READ COMMITTED or SERIALIZABLE isolation, not REPEATABLE READ', tbl
      using errcode = 'feature_not_supported';
  end if;

  -- new statements, so new snapshots: whatever committed while it waited is counted. Tenant by
  -- tenant, usage apart from the tenant's row: on Citus, a query over distributed tables cannot
  -- run inside another one
  foreach tid in array locked loop
    select t.id, t.subdomain, t.max_assets, t.max_users, t.max_devices, t.storage_quota_gb into limits from tenants t where t.id = tid;
    select limits.id, limits.subdomain, g.resource, g.amount, e.used, e.quota into over
    from unnest(resources, amounts, tenant_ids) g (resource, amount, tenant_id)
    join quota_excess(tid, limits.max_assets, limits.max_users, limits.max_devices, limits.storage_quota_gb) e on e.resource = g.resource
    where g.tenant_id = tid
    order by g.resource
    limit 1;
    exit when found;
  end loop;
  -- (FOUND says the loop ran, not that a select found an excess)
  if over.resource is not null then
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
create trigger memberships_quota after insert on memberships
  referencing new table as new_rows for each statement execute function enforce_tenant_quotas('memberships');
drop trigger assets_quota on assets;
create trigger assets_quota after insert on assets
  referencing new table as new_rows for each statement execute function enforce_tenant_quotas('assets');
drop trigger assets_storage_quota on assets;
create trigger assets_storage_quota after update of size_bytes on assets
  for each row when (new.size_bytes > old.size_bytes) execute function enforce_tenant_quotas('assets');
drop trigger devices_quota on devices;
create trigger devices_quota after insert on devices
  referencing new table as new_rows for each statement execute function enforce_tenant_quotas('devices');

-- The tenant's row by a parameter, not an expression: Citus routes it to one
-- shard (a FOR UPDATE across shards is refused).
create or replace function lock_current_tenant() returns boolean
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  tenant uuid := nullif(current_setting('app.current_tenant_id', true), '')::uuid;
begin
  perform 1 from tenants where id = tenant for update;
  return found;
end
$$;
