-- The provisioning-event triggers name their tables unqualified; run with an empty or foreign
-- search_path (psql loading a pg_dump sets it to '') they failed with "relation
-- notification_outbox does not exist". Each now runs with the schema it was created in.
select set_config('search_path', format('%I, pg_temp', current_schema()), true);
alter function queue_tenant_event() set search_path from current;
alter function queue_tenant_deleted_event() set search_path from current;
