-- Provisioning runs through the queue (src/lib/queue): the same run records serve direct and
-- queued runs. A queued run keeps each row's validated input in provisioning_run_rows.spec and
-- its state in outcome ('pending' until a worker settles it); pg-boss (its own schema, pgboss)
-- holds one job per batch of rows, {runId, batch}.
alter table provisioning_runs
  add column queued boolean not null default false,
  -- tenants per second across every worker of the run: rate_next_at is the end of the last slot
  -- handed out (src/lib/queue/rate.ts), moved forward atomically by each batch before it writes
  add column rate integer check (rate > 0),
  add column rate_next_at timestamptz,
  add column actor text,
  add column cancelled_at timestamptz;
alter table provisioning_runs drop constraint provisioning_runs_status_check;
alter table provisioning_runs add constraint provisioning_runs_status_check
  check (status in ('queued', 'running', 'completed', 'failed', 'cancelled'));
create index provisioning_runs_list_idx on provisioning_runs (started_at desc, id desc);

alter table provisioning_run_rows
  add column batch integer,
  -- sha256 of the subdomain and the tenant spec: the job's idempotency key
  add column idempotency_key text,
  add column spec jsonb,
  add column tenant_id uuid,
  add column attempts integer not null default 0,
  add column settled_at timestamptz;
alter table provisioning_run_rows drop constraint provisioning_run_rows_outcome_check;
alter table provisioning_run_rows add constraint provisioning_run_rows_outcome_check
  check (outcome in ('pending', 'created', 'unchanged', 'failed', 'skipped', 'cancelled'));
create index provisioning_run_rows_pending_idx on provisioning_run_rows (run_id, batch) where outcome = 'pending';
