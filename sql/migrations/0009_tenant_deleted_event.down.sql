drop trigger tenants_deleted_event on tenants;
drop function queue_tenant_deleted_event();
-- the deletions' rows have no tenant to belong to
delete from notification_outbox where tenant_id is null;
drop index notification_outbox_tenant_idx;
alter table notification_outbox alter column tenant_id set not null;
alter table notification_outbox drop constraint notification_outbox_pkey;
alter table notification_outbox add primary key (tenant_id, id);
