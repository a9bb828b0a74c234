delete from devices where name = 'Default display' and last_seen_at is null;
