import {randomBytes} from 'node:crypto'

import postgres, {type Sql} from 'postgres'
import {inject} from 'vitest'

import {openDatabase, type Database} from '../../src/lib/db/connect.js'
import {withDatabase} from './urls.js'

export const adminUrl = () => inject('adminUrl')

export interface TestDatabase {
  url: string
  name: string
  /** the migrated database, as the CLI opens it */
  db: Database
  sql: Sql
  drop(): Promise<void>
}

/**
 * A fresh, migrated database of its own on the test server: a copy of the
 * run's template database (see global-setup.ts), so no test file migrates.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `anthias_test_${randomBytes(5).toString('hex')}`
  const admin = postgres(adminUrl(), {max: 1, onnotice: () => undefined})
  await admin.unsafe(`create database ${name} template ${inject('templateDatabase')}`)
  const url = withDatabase(adminUrl(), name)
  const db = await openDatabase({databaseUrl: url, dataDir: '/nonexistent'})
  return {
    url,
    name,
    db,
    sql: db.sql,
    async drop() {
      await db.close()
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}

/** Row counts of every table, to show that a refused command changed nothing. */
export async function snapshot(sql: Sql): Promise<Record<string, number>> {
  const tables = await sql<{name: string}[]>`
    select tablename as name from pg_tables where schemaname = 'public' order by tablename`
  const counts: Record<string, number> = {}
  for (const {name} of tables) {
    const [row] = await sql<{n: number}[]>`select count(*)::int as n from ${sql(name)}`
    counts[name] = row!.n
  }
  return counts
}
