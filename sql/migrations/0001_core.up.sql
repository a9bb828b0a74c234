-- anthias core schema: plan catalog, tenants and their control-plane rows,
-- the tenant data tables with row-level security, and the application role.
--
-- Every table with a tenant_id column has RLS enabled and forced and exactly one
-- policy, tenant_isolation. The CLI itself connects as the schema owner with
-- BYPASSRLS (or a superuser) for control-plane work; tenant-scoped work switches
-- to anthias_app, which has no BYPASSRLS and only DML grants.

do $$
begin
  create role anthias_app login nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
exception
  -- the role is cluster-wide: another database, or a concurrent migration, made it
  when duplicate_object or unique_violation then null;
end
$$;

do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant anthias_app to %I', current_user);
  end if;
end
$$;

create table plans (
  id text primary key,
  name text not null,
  max_assets integer not null check (max_assets > 0),
  max_users integer not null check (max_users > 0),
  max_devices integer not null check (max_devices > 0),
  storage_quota_gb integer not null check (storage_quota_gb > 0),
  features text[] not null,
  price_monthly_cents integer not null check (price_monthly_cents >= 0),
  position smallint not null unique
);

create table features (
  name text primary key,
  description text not null
);

create table tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 100),
  subdomain text not null check (subdomain ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'),
  status text not null default 'active' check (status in ('active', 'suspended')),
  plan_id text not null references plans (id),
  max_assets integer not null check (max_assets > 0),
  max_users integer not null check (max_users > 0),
  max_devices integer not null check (max_devices > 0),
  storage_quota_gb integer not null check (storage_quota_gb > 0),
  contact_email text,
  custom_domain text,
  settings jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  enable_2fa boolean not null default false,
  session_timeout_minutes integer not null default 480
    check (session_timeout_minutes between 5 and 43200),
  password_policy jsonb not null check (jsonb_typeof(password_policy) = 'object'),
  allowed_ip_ranges cidr[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index tenants_subdomain_key on tenants (lower(subdomain));
create unique index tenants_custom_domain_key on tenants (lower(custom_domain))
  where custom_domain is not null;
create index tenants_plan_status_idx on tenants (plan_id, status);

-- Per-tenant feature overrides; the effective set is the plan's features
-- plus enabled overrides minus disabled ones.
create table tenant_features (
  tenant_id uuid not null references tenants (id),
  feature text not null references features (name),
  enabled boolean not null,
  primary key (tenant_id, feature)
);

-- Global identities: one person may belong to several tenants.
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  password_hash text,
  created_at timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

create table memberships (
  tenant_id uuid not null references tenants (id),
  user_id uuid not null references users (id),
  role text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
  permissions jsonb not null default '{}' check (jsonb_typeof(permissions) = 'object'),
  status text not null check (status in ('invited', 'active')),
  invitation_token_hash text,
  invitation_expires_at timestamptz,
  invited_at timestamptz not null default now(),
  accepted_at timestamptz,
  primary key (tenant_id, user_id),
  check (status = 'active' or (invitation_token_hash is not null and invitation_expires_at is not null))
);
create index memberships_user_idx on memberships (user_id);

create table api_keys (
  tenant_id uuid not null references tenants (id),
  id uuid not null default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 100),
  prefix text not null,
  key_hash text not null,
  permissions text[] not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, prefix),
  unique (tenant_id, name)
);
create index api_keys_prefix_idx on api_keys (prefix);

-- Append-only: no foreign key to tenants, so the trail outlives a deleted tenant.
create table audit_log (
  tenant_id uuid,
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  subject text,
  arguments jsonb not null default '{}',
  outcome text not null check (outcome in ('success', 'failure')),
  error_code text
);
create index audit_log_tenant_at_idx on audit_log (tenant_id, at);
create index audit_log_action_at_idx on audit_log (action, at);

create function audit_log_append_only() returns trigger
language plpgsql as $$
begin
  raise exception 'audit_log is append-only: % is not allowed', tg_op
    using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_append_only
  before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate
  before truncate on audit_log
  for each statement execute function audit_log_append_only();

-- Per-tenant data migrations (sql/tenant/), one ledger row per tenant and version.
create table tenant_migrations (
  tenant_id uuid not null references tenants (id),
  version integer not null,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now(),
  duration_ms integer not null check (duration_ms >= 0),
  faked boolean not null default false,
  primary key (tenant_id, version)
);

create table monitoring_configs (
  tenant_id uuid not null references tenants (id),
  storage_threshold numeric(4, 3) not null default 0.8 check (storage_threshold > 0 and storage_threshold <= 1),
  user_threshold numeric(4, 3) not null default 0.9 check (user_threshold > 0 and user_threshold <= 1),
  asset_threshold numeric(4, 3) not null default 0.9 check (asset_threshold > 0 and asset_threshold <= 1),
  device_threshold numeric(4, 3) not null default 0.9 check (device_threshold > 0 and device_threshold <= 1),
  channels text[] not null default '{}',
  updated_at timestamptz not null default now(),
  primary key (tenant_id)
);

create table notification_outbox (
  tenant_id uuid not null references tenants (id),
  id bigint generated always as identity,
  kind text not null,
  metric text not null,
  channel text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  cleared_at timestamptz,
  primary key (tenant_id, id)
);
-- a breach is queued once per metric and channel until it clears
create unique index notification_outbox_open_key
  on notification_outbox (tenant_id, kind, metric, channel) where cleared_at is null;

create table provisioning_runs (
  id uuid primary key default gen_random_uuid(),
  source text not null check (source in ('csv', 'json')),
  file_name text not null,
  file_sha256 text not null,
  dry_run boolean not null,
  status text not null check (status in ('running', 'completed', 'failed')),
  total integer not null default 0,
  created integer not null default 0,
  unchanged integer not null default 0,
  failed integer not null default 0,
  started_at timestamptz not null default now(),
  finished_at timestamptz
);
create index provisioning_runs_file_idx on provisioning_runs (file_sha256, started_at);

create table provisioning_run_rows (
  run_id uuid not null references provisioning_runs (id),
  line integer not null,
  subdomain text,
  outcome text not null check (outcome in ('created', 'unchanged', 'failed', 'skipped')),
  error_code text,
  message text,
  primary key (run_id, line)
);

-- Tenant data tables from the signage platform.
create table assets (
  tenant_id uuid not null references tenants (id),
  id uuid not null default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  uri text not null,
  mimetype text not null,
  start_date timestamptz,
  end_date timestamptz,
  duration_seconds integer not null default 10 check (duration_seconds > 0),
  is_enabled boolean not null default true,
  play_order integer not null default 0,
  size_bytes bigint not null default 0 check (size_bytes >= 0),
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, created_by) references memberships (tenant_id, user_id)
    on delete set null (created_by),
  check (end_date is null or start_date is null or end_date >= start_date)
);

create table devices (
  tenant_id uuid not null references tenants (id),
  id uuid not null default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  location text,
  status text not null default 'offline' check (status in ('online', 'offline')),
  last_seen_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, name)
);

create table qr_contents (
  tenant_id uuid not null references tenants (id),
  id uuid not null default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  content text not null,
  asset_id uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, asset_id) references assets (tenant_id, id) on delete set null (asset_id)
);

-- Row-level security on every table with a tenant_id column.
do $$
declare
  t text;
begin
  for t in
    select c.relname
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
    where n.nspname = current_schema() and c.relkind in ('r', 'p')
  loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy tenant_isolation on %I
      using (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid)
      with check (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid)$p$, t);
  end loop;
end
$$;

grant usage on schema public to anthias_app;
grant select, insert, update, delete on assets, devices, qr_contents to anthias_app;
grant select on plans, features to anthias_app;
grant select, insert on audit_log to anthias_app;
