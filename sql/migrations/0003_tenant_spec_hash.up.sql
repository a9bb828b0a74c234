-- The SHA-256 of the normalised spec a tenant was created from: a bulk re-run
-- reports a row whose tenant exists with the same spec as unchanged.
alter table tenants add column spec_sha256 text;

alter table provisioning_run_rows add column name text;
