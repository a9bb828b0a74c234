-- The triggers that name their tables unqualified (the provisioning events, clearing references
-- before a member or an asset goes); run with an empty or foreign search_path (psql loading a
-- pg_dump sets it to '') they failed with "relation ... does not exist". Each now runs with the
-- schema it was created in (a value, not FROM CURRENT, which Citus cannot propagate to its nodes).
do $$
begin
  execute format('alter function queue_tenant_event() set search_path = %I, pg_temp', current_schema());
  execute format('alter function queue_tenant_deleted_event() set search_path = %I, pg_temp', current_schema());
  execute format('alter function clear_references() set search_path = %I, pg_temp', current_schema());
end $$;
