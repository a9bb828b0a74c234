drop trigger devices_quota on devices;
drop trigger assets_storage_quota on assets;
drop trigger assets_quota on assets;
drop trigger memberships_quota on memberships;
drop function enforce_tenant_quotas();
drop function quota_excess(uuid, integer, integer, integer, integer);
drop function tenant_usage(uuid);
