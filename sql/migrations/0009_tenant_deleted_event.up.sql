-- tenant.deleted: the event of a deletion outlives the tenant's rows. The outbox rows a tenant
-- owns are deleted with it (and backed up and restored with it); a deletion's rows belong to no
-- tenant (tenant_id null; the tenant's id, subdomain and name are in the payload), so the
-- delete, the orphan scan, backups and restores pass them by, and the workers deliver them like
-- every other row (src/lib/notify/deliver.ts). A primary key cannot hold a null: the key is the
-- identity alone, which was unique on its own already.
alter table notification_outbox drop constraint notification_outbox_pkey;
alter table notification_outbox add primary key (id);
alter table notification_outbox alter column tenant_id drop not null;
create index notification_outbox_tenant_idx on notification_outbox (tenant_id);

-- One row per endpoint subscribed, in the transaction that deletes the tenant, whichever command
-- (or SQL) deletes it. The actor is the transaction's anthias.actor (set by deleteTenant,
-- src/lib/tenant-delete.ts), else the database user.
create function queue_tenant_deleted_event() returns trigger
language plpgsql as $$
begin
  insert into notification_outbox (tenant_id, kind, metric, channel, payload, cleared_at)
  select null, 'event', 'tenant.deleted', 'webhook:' || e.url,
    jsonb_build_object('tenantId', old.id, 'name', old.name, 'subdomain', old.subdomain, 'deletedAt', now(),
      'actor', coalesce(nullif(current_setting('anthias.actor', true), ''), session_user)), now()
  from webhook_endpoints e where 'tenant.deleted' = any (e.events);
  return null;
end $$;
create trigger tenants_deleted_event after delete on tenants
  for each row execute function queue_tenant_deleted_event();
