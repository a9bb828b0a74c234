// Citus against one server, same run, same machine and settings: a database on a three-node
// cluster (the citus extension on every node, the workers registered, distributed by db migrate)
// against a plain database on the cluster's coordinator (no extension: one PostgreSQL server).
//   1. tenant bulk-create of N tenants (default 10,000), in-process;
//   2. tenant migrate --all with one pending data migration over those tenants.
// The cluster: ANTHIAS_BENCH_CITUS_URL or ANTHIAS_TEST_CITUS_URL (a coordinator with workers
// registered); without either, .ci/citus-cluster starts one when the extension is installed,
// and the bench prints one line saying it was skipped when it is not.
//   node bench/citus.js [N]
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import postgres from 'postgres'

import {provisionFromSource} from '../dist/lib/bulk/provision.js'
import {csvSource} from '../dist/lib/bulk/sources.js'
import {resolveContext} from '../dist/lib/context.js'
import {openDatabase} from '../dist/lib/db/connect.js'
import {fileInput} from '../dist/inputs.js'
import {migrateAllTenants} from '../dist/lib/tenant-migrations.js'
import {pendingDataMigration, ratio, seconds, tenantRows, writeCsv} from './lib.js'

const clusterUrl = process.env.ANTHIAS_BENCH_CITUS_URL ?? process.env.ANTHIAS_TEST_CITUS_URL
if (!clusterUrl) {
  if (!existsSync('/usr/lib/postgresql/15/lib/citus.so')) {
    console.log('citus: skipped, the citus extension is not installed on this machine')
    process.exit(0)
  }
  const script = fileURLToPath(import.meta.url)
  const cluster = fileURLToPath(new URL('../.ci/citus-cluster', import.meta.url))
  const run = spawnSync(cluster, [process.execPath, script, ...process.argv.slice(2)], {stdio: ['ignore', 'inherit', 'inherit']})
  process.exit(run.status ?? 1)
}

const n = Number(process.argv[2] ?? 10_000)
const ctx = resolveContext({actor: 'bench'})
const admin = postgres(clusterUrl, {max: 1, onnotice: () => undefined})
const on = (node, database, fn) => {
  const u = new URL(clusterUrl)
  Object.assign(u, {hostname: node.host, port: String(node.port), pathname: `/${database}`})
  const sql = postgres(u.toString(), {max: 1, onnotice: () => undefined})
  return fn(sql).finally(() => sql.end())
}
const nodes = await admin`select nodename as host, nodeport as port, groupid = 0 as coordinator from pg_dist_node where noderole = 'primary' order by groupid`
const workers = nodes.filter((node) => !node.coordinator)
const coordinator = nodes.find((node) => node.coordinator)
if (!coordinator || workers.length === 0) throw new Error(`${clusterUrl} is not a coordinator with workers registered (see .ci/citus-cluster)`)

/** A migrated database on the coordinator: plain PostgreSQL, or (distributed) with Citus on every node. */
async function database(label, distributed) {
  const name = `anthias_bench_citus_${label}`
  for (const node of distributed ? nodes : [coordinator]) {
    await on(node, 'postgres', async (sql) => {
      await sql.unsafe(`drop database if exists ${name} with (force)`)
      await sql.unsafe(`create database ${name}`)
    })
    if (distributed) await on(node, name, (sql) => sql`create extension citus`)
  }
  if (distributed) {
    await on(coordinator, name, async (sql) => {
      await sql`select citus_set_coordinator_host(${coordinator.host}, ${coordinator.port})`
      for (const worker of workers) await sql`select citus_add_node(${worker.host}, ${worker.port})`
    })
  }
  const u = new URL(clusterUrl)
  u.pathname = `/${name}`
  const db = await openDatabase({databaseUrl: u.toString(), dataDir: '/nonexistent', max: 8})
  return {
    ...db,
    async drop() {
      await db.close()
      for (const node of distributed ? nodes : [coordinator]) await on(node, 'postgres', (sql) => sql.unsafe(`drop database if exists ${name} with (force)`))
    },
  }
}

const dir = await mkdtemp(join(tmpdir(), 'anthias-bench-citus-'))
const times = {}
try {
  for (const [label, distributed] of [['one', false], ['cluster', true]]) {
    const db = await database(label, distributed)
    try {
      const csv = join(dir, `${label}.csv`)
      await writeCsv(csv, tenantRows(n))
      let started = performance.now()
      const report = await provisionFromSource(db.sql, csvSource(await fileInput(csv, 'FILE')), ctx)
      const bulkMs = performance.now() - started
      if (report.created !== n) throw new Error(`${label}: created ${report.created} of ${n}`)
      // the same tenants again: every row reported unchanged, none created twice
      const again = await provisionFromSource(db.sql, csvSource(await fileInput(csv, 'FILE')), ctx)
      if (again.unchanged !== n || again.created !== 0) throw new Error(`${label}: a re-run created ${again.created}, unchanged ${again.unchanged}`)
      await pendingDataMigration(db)
      started = performance.now()
      const migrated = await migrateAllTenants(db.sql, {concurrency: 6, continueOnError: true, onProgress: () => undefined}, ctx)
      const migrateMs = performance.now() - started
      if (migrated.migrated !== n) throw new Error(`${label}: migrated ${migrated.migrated} of ${n}: ${JSON.stringify(migrated.outcomes.find((o) => o.error))}`)
      times[label] = {bulkMs, migrateMs}
    } finally {
      await db.drop()
    }
  }
  console.log(`Citus (coordinator and ${workers.length} workers on this machine) against one server (the coordinator, no extension), ${n} tenants`)
  for (const [what, key] of [['tenant bulk-create', 'bulkMs'], ['tenant migrate --all (one data migration)', 'migrateMs']]) {
    console.log(`  ${what}: one server ${seconds(times.one[key])}, cluster ${seconds(times.cluster[key])} (${Math.round(n / (times.cluster[key] / 1000))} tenants/s)`)
  }
  // three nodes sharing one machine's cores: the cluster is measured for staying close, not for being faster
  ratio('citus: bulk-create on the cluster vs one server', times.cluster.bulkMs, times.one.bulkMs, 2)
  ratio('citus: migrate --all on the cluster vs one server', times.cluster.migrateMs, times.one.migrateMs, 2)
} finally {
  await admin.end()
  await rm(dir, {recursive: true, force: true})
}
