-- Reverts 0004_tenant_migrator. The anthias_migrator role is cluster-wide and may
-- serve other databases, so it is left in place; its rights here go.
drop function if exists lock_current_tenant();
revoke all on tenant_migrations, audit_log from anthias_migrator;
revoke usage on schema public from anthias_migrator;
