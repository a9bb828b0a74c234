alter function queue_tenant_event() reset search_path;
alter function queue_tenant_deleted_event() reset search_path;
alter function clear_references() reset search_path;
