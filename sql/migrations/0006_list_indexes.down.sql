drop index if exists audit_log_subject_idx;
drop index if exists audit_log_tenant_id_idx;
drop index if exists tenants_created_at_id_idx;
drop index if exists tenants_name_id_idx;
