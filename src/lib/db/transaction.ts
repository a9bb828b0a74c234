import type {Sql, TransactionSql} from 'postgres'

const ROLLBACK = Symbol('dry run')

/**
 * Run `fn` in one transaction; with `dryRun` the real work is done and then
 * rolled back, so the database checks everything (constraints, uniqueness)
 * and nothing stays.
 */
export async function transaction<T>(sql: Sql, dryRun: boolean, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  let value: T | undefined
  try {
    return (await sql.begin(async (tx) => {
      value = await fn(tx)
      if (dryRun) throw ROLLBACK
      return value
    })) as T
  } catch (error) {
    if (error === ROLLBACK) return value as T
    throw error
  }
}
