-- Reverts 0001_core. The anthias_app role is cluster-wide and may serve other
-- databases, so it is left in place; its grants here go with the tables.
drop table if exists qr_contents, devices, assets, provisioning_run_rows, provisioning_runs,
  notification_outbox, monitoring_configs, tenant_migrations, audit_log, api_keys,
  memberships, users, tenant_features, tenants, features, plans;
drop function if exists audit_log_append_only();
revoke usage on schema public from anthias_app;
