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

/** The run's server is a Citus coordinator (ANTHIAS_TEST_CITUS_URL). */
export const onCitus = () => inject('citus')

/**
 * A fresh, migrated database of its own on the test server: a copy of the
 * run's template database (see global-setup.ts), so no test file migrates.
 * On Citus: a database of that name on every node, with the extension, the
 * coordinator and the workers registered in it, migrated (and so distributed).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `anthias_test_${randomBytes(5).toString('hex')}`
  const admin = postgres(adminUrl(), {max: 1, onnotice: () => undefined})
  const nodes = onCitus() ? await createCitusDatabase(admin, name) : []
  if (!onCitus()) await admin.unsafe(`create database ${name} template ${inject('templateDatabase')}`)
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
      for (const node of nodes) await onNode(node, (sql) => sql.unsafe(`drop database if exists ${name} with (force)`))
      await admin.end()
    },
  }
}

interface CitusNode {
  host: string
  port: number
}

/** Run `fn` on a connection to another node of the cluster, as the admin URL's user. */
async function onNode<T>(node: CitusNode, fn: (sql: Sql) => Promise<T>, database = 'postgres'): Promise<T> {
  const u = new URL(adminUrl())
  u.hostname = node.host
  u.port = String(node.port)
  u.pathname = `/${database}`
  const sql = postgres(u.toString(), {max: 1, onnotice: () => undefined})
  try {
    return await fn(sql)
  } finally {
    await sql.end()
  }
}

/** Database `name` on the coordinator and every worker of the admin database's cluster, with Citus and the workers registered; returns the workers. */
async function createCitusDatabase(admin: Sql, name: string): Promise<CitusNode[]> {
  const [coordinator] = await admin<CitusNode[]>`select nodename as host, nodeport as port from pg_dist_node where groupid = 0`
  const workers = await admin<CitusNode[]>`select nodename as host, nodeport as port from pg_dist_node where groupid <> 0 and noderole = 'primary' order by groupid`
  if (!coordinator || workers.length === 0) throw new Error('ANTHIAS_TEST_CITUS_URL names a database without a coordinator and workers registered (see .ci/citus-cluster)')
  await admin.unsafe(`create database ${name}`)
  for (const worker of workers) {
    await onNode(worker, (sql) => sql.unsafe(`create database ${name}`))
    await onNode(worker, (sql) => sql`create extension citus`, name)
  }
  await onNode(coordinator, async (sql) => {
    await sql`create extension citus`
    await sql`select citus_set_coordinator_host(${coordinator.host}, ${coordinator.port})`
    for (const worker of workers) await sql`select citus_add_node(${worker.host}, ${worker.port})`
  }, name)
  return [...workers]
}

/**
 * The view of the server's sessions, to wait for one that waits for a lock: on Citus
 * citus_stat_activity, the sessions of every node, as a distributed statement waits on the
 * worker holding its shard (its coordinator session shows no lock wait).
 */
export const activityView = (sql: Sql) => sql(onCitus() ? 'citus_stat_activity' : 'pg_stat_activity')

/**
 * The sessions of `application` (application_name) waiting for a lock. On Citus the wait is
 * on the worker holding the shard, in a session named for Citus, not the application; it
 * carries the global_pid of the coordinator session that sent it.
 */
export const locksAwaited = (sql: Sql, application: string) =>
  onCitus()
    ? sql`select 1 from citus_stat_activity w join citus_stat_activity c on c.global_pid = w.global_pid
        where c.application_name = ${application} and w.wait_event_type = 'Lock' and w.datname = current_database()`
    : sql`select 1 from pg_stat_activity where datname = current_database() and application_name = ${application} and wait_event_type = 'Lock'`

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
