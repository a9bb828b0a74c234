-- Lowercasing loses the original case: nothing to restore.
select 1;
