-- A tenant migration's login takes its tenant's row lock itself, with a plain
-- SELECT ... FOR UPDATE, instead of through lock_current_tenant(): on Citus a
-- SECURITY DEFINER function's query goes to the shard on a connection of its
-- owner, a second connection (and role) in the migration's transaction, and the
-- transaction then waited on itself (a distributed deadlock).
--
-- The login may see and lock one row of tenants: the row of the tenant set in
-- its transaction. It can change none (UPDATE needs a row that passes a WITH
-- CHECK, and no policy passes one for it). Every other role sees tenants as
-- before: the owner and superusers are not subject to row-level security, and
-- a role granted rights on tenants passes the first policy.
alter table tenants enable row level security;
create policy tenants_not_migrating on tenants
  using (not pg_has_role(current_user, 'anthias_migrator', 'usage'))
  with check (not pg_has_role(current_user, 'anthias_migrator', 'usage'));
create policy tenants_migrating on tenants to anthias_migrator
  using (id = nullif(current_setting('app.current_tenant_id', true), '')::uuid)
  with check (false);
-- FOR UPDATE needs the UPDATE right on a column; the policies allow no update
grant select, update (id) on tenants to anthias_migrator;

drop function lock_current_tenant();
