alter table provisioning_run_rows drop column name;
alter table tenants drop column spec_sha256;
