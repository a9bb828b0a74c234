-- The HTTP API (anthias serve, src/server): operator tokens and the Idempotency-Key ledger.
-- An operator token is a bearer credential for the API, distinct from a tenant's own API keys:
-- only the SHA-256 of the token is stored (it carries 256 random bits, src/lib/secrets.ts).
create table operator_tokens (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  token_hash text not null unique,
  scopes text[] not null check (cardinality(scopes) > 0),
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);
-- a name is taken while its token lives; a revoked token's name may be used again
create unique index operator_tokens_name_idx on operator_tokens (lower(name)) where revoked_at is null;
create index operator_tokens_list_idx on operator_tokens (created_at, id);

-- One row per (token, Idempotency-Key) of a POST: the request's SHA-256 and, once the first
-- request has answered, its response as sent (status, headers, the body's exact bytes).
-- completed_at null: the first request is still running. Kept 24 hours (src/lib/idempotency.ts).
create table idempotency_keys (
  token_id uuid not null references operator_tokens (id) on delete cascade,
  key text not null check (length(key) between 1 and 255),
  request_hash text not null,
  status integer,
  headers jsonb,
  body text,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  primary key (token_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);
