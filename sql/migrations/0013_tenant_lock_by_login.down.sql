-- Reverts 0013_tenant_lock_by_login: the lock through lock_current_tenant() (as 0011 left it).
revoke select, update (id) on tenants from anthias_migrator;
drop policy tenants_migrating on tenants;
drop policy tenants_not_migrating on tenants;
alter table tenants disable row level security;

create function lock_current_tenant() returns boolean
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  tenant uuid := nullif(current_setting('app.current_tenant_id', true), '')::uuid;
begin
  perform 1 from tenants where id = tenant for update;
  return found;
end
$$;
revoke execute on function lock_current_tenant() from public;
grant execute on function lock_current_tenant() to anthias_migrator;
