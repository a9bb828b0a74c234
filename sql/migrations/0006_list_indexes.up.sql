-- Keyset pages of tenant list and audit list (src/lib/paging.ts): each order on an index,
-- so a page deep in the list costs what the first one does.
-- tenant list --sort name | created (--sort subdomain uses tenants_subdomain_key)
create index tenants_name_id_idx on tenants (name, id);
create index tenants_created_at_id_idx on tenants (created_at, id);
-- audit list --tenant: newest first within a tenant, and a deleted tenant's rows by their subject
create index audit_log_tenant_id_idx on audit_log (tenant_id, id);
create index audit_log_subject_idx on audit_log (lower(subject));
