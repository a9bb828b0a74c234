-- Every tenant starts with one display to schedule content on.
-- present-if: select exists (select 1 from devices where name = 'Default display')
insert into devices (tenant_id, name, location)
select nullif(current_setting('app.current_tenant_id', true), '')::uuid, 'Default display', 'Reception'
where not exists (select 1 from devices where name = 'Default display');
