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
  -- the tenant created, or found unchanged (not named tenant_id: that marks a tenant's own table, see src/lib/rls.ts)
  add column outcome_tenant_id uuid,
  add column attempts integer not null default 0,
  add column settled_at timestamptz;
alter table provisioning_run_rows drop constraint provisioning_run_rows_outcome_check;
alter table provisioning_run_rows add constraint provisioning_run_rows_outcome_check
  check (outcome in ('pending', 'created', 'unchanged', 'failed', 'skipped', 'cancelled'));
create index provisioning_run_rows_pending_idx on provisioning_run_rows (run_id, batch) where outcome = 'pending';

-- Notifications delivered by the workers (src/lib/notify): each outbox row once, with a delivery
-- id the receiver de-duplicates on (the Standard Webhooks webhook-id), retried with backoff.
alter table notification_outbox
  add column delivery_id uuid not null default gen_random_uuid(),
  -- a job exists for the row (the dispatcher marks it in the transaction that makes the job)
  add column enqueued_at timestamptz,
  add column attempts integer not null default 0,
  add column last_attempt_at timestamptz,
  add column last_error text,
  -- retries exhausted
  add column failed_at timestamptz;
create index notification_outbox_dispatch_idx on notification_outbox (id) where enqueued_at is null and sent_at is null;

-- Webhook endpoints: the signing secret of each URL (for provisioning events and for the
-- webhook:URL channels of monitoring), and the provisioning events it subscribes to.
create table webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  url text not null,
  events text[] not null default '{}',
  -- whsec_ + base64 of 24 random bytes; kept as it is, since signing needs it
  secret text not null,
  created_at timestamptz not null default now()
);
create unique index webhook_endpoints_url_key on webhook_endpoints (url);

-- Provisioning events: a row in the outbox for every endpoint subscribed, in the transaction
-- that changes the tenant, whichever command (or SQL) changed it.
create function queue_tenant_event() returns trigger
language plpgsql as $$
declare
  event text;
begin
  if tg_op = 'INSERT' then
    event := 'tenant.created';
  elsif new.status is distinct from old.status then
    event := case new.status when 'suspended' then 'tenant.suspended' else 'tenant.resumed' end;
  elsif (new.name, new.subdomain, new.plan_id, new.max_assets, new.max_users, new.max_devices, new.storage_quota_gb,
         new.contact_email, new.custom_domain, new.settings, new.enable_2fa, new.session_timeout_minutes, new.password_policy, new.allowed_ip_ranges)
        is distinct from
        (old.name, old.subdomain, old.plan_id, old.max_assets, old.max_users, old.max_devices, old.storage_quota_gb,
         old.contact_email, old.custom_domain, old.settings, old.enable_2fa, old.session_timeout_minutes, old.password_policy, old.allowed_ip_ranges) then
    event := 'tenant.updated';
  else
    return null;
  end if;
  -- an event is cleared as it is made: the open-breach key (one open row per tenant, kind, metric
  -- and channel) is for quota breaches; each event is a row of its own, delivered all the same
  insert into notification_outbox (tenant_id, kind, metric, channel, payload, cleared_at)
  select new.id, 'event', event, 'webhook:' || e.url,
    jsonb_build_object('tenantId', new.id, 'name', new.name, 'subdomain', new.subdomain, 'status', new.status, 'plan', new.plan_id), now()
  from webhook_endpoints e where event = any (e.events);
  return null;
end $$;
create trigger tenants_events after insert or update on tenants
  for each row execute function queue_tenant_event();
