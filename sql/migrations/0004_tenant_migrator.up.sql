-- Tenant migrations run on a connection that logs in as a role of their own, made
-- for one run (see src/lib/db/tenant-login.ts): no superuser, no BYPASSRLS, a member
-- of anthias_app (to run the script) and of anthias_migrator (for the ledger). So a
-- script cannot become another role, and row-level security holds whatever it does.

do $$
begin
  create role anthias_migrator nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
exception
  -- cluster-wide, like anthias_app: another database, or a concurrent migration, made it
  when duplicate_object or unique_violation then null;
end
$$;

grant usage on schema public to anthias_migrator;
-- row-level security confines both to the tenant set in the transaction
grant select, insert, delete on tenant_migrations to anthias_migrator;
grant insert on audit_log to anthias_migrator;

-- The tenant row lock a migration holds (as other changes to a tenant do), for the
-- tenant set in the transaction only: the role has no rights on tenants itself.
create function lock_current_tenant() returns boolean
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  perform 1 from tenants where id = nullif(current_setting('app.current_tenant_id', true), '')::uuid for update;
  return found;
end
$$;
revoke execute on function lock_current_tenant() from public;
grant execute on function lock_current_tenant() to anthias_migrator;
