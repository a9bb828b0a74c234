drop trigger if exists tenants_events on tenants;
drop function if exists queue_tenant_event();
drop table if exists webhook_endpoints;
delete from notification_outbox where kind <> 'quota_breach';
drop index if exists notification_outbox_dispatch_idx;
alter table notification_outbox
  drop column failed_at, drop column last_error, drop column last_attempt_at, drop column attempts,
  drop column enqueued_at, drop column delivery_id;
drop index if exists provisioning_run_rows_pending_idx;
delete from provisioning_run_rows where outcome in ('pending', 'cancelled');
alter table provisioning_run_rows drop constraint provisioning_run_rows_outcome_check;
alter table provisioning_run_rows add constraint provisioning_run_rows_outcome_check
  check (outcome in ('created', 'unchanged', 'failed', 'skipped'));
alter table provisioning_run_rows
  drop column settled_at, drop column attempts, drop column outcome_tenant_id, drop column spec,
  drop column idempotency_key, drop column batch;
drop index if exists provisioning_runs_list_idx;
update provisioning_runs set status = 'failed' where status in ('queued', 'cancelled');
alter table provisioning_runs drop constraint provisioning_runs_status_check;
alter table provisioning_runs add constraint provisioning_runs_status_check
  check (status in ('running', 'completed', 'failed'));
alter table provisioning_runs
  drop column cancelled_at, drop column actor, drop column rate_next_at, drop column rate, drop column queued;
drop schema if exists pgboss cascade;
