delete from plans where id in ('basic', 'professional', 'enterprise');
delete from features;
