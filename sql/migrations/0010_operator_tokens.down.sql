drop table if exists idempotency_keys;
drop table if exists operator_tokens;
