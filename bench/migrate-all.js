// tenant migrate --all over N tenants (default 10,000), measured in one run:
// with nothing pending (target under 1 s), and applying one pending data migration,
// in tenants per second beside a single set-based UPDATE of the same rows (the floor).
//   node bench/migrate-all.js [N]
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {provisionFromSource} from '../dist/lib/bulk/provision.js'
import {fileInput} from '../dist/inputs.js'
import {csvSource} from '../dist/lib/bulk/sources.js'
import {resolveContext} from '../dist/lib/context.js'
import {migrateAllTenants} from '../dist/lib/tenant-migrations.js'
import {freshDatabase, pendingDataMigration, ratio, seconds, tenantRows, writeCsv} from './lib.js'

const n = Number(process.argv[2] ?? 10_000)
const ctx = resolveContext({actor: 'bench'})
const dir = await mkdtemp(join(tmpdir(), 'anthias-bench-'))
const db = await freshDatabase('migrate')
try {
  const csv = join(dir, 'tenants.csv')
  await writeCsv(csv, tenantRows(n))
  await provisionFromSource(db.sql, csvSource(await fileInput(csv, 'FILE')), ctx)
  const data = await pendingDataMigration(db)

  let floorMs = 0
  await db.sql.begin(async (tx) => {
    const started = performance.now()
    await tx.unsafe(data.up)
    floorMs = performance.now() - started
    await tx`rollback`.catch(() => undefined)
    throw new Error('rollback')
  }).catch((e) => { if (e.message !== 'rollback') throw e })

  const started = performance.now()
  // with the progress callback the CLI passes, once per tenant
  const applied = await migrateAllTenants(db.sql, {concurrency: 6, continueOnError: true, onProgress: () => undefined}, ctx)
  const applyMs = performance.now() - started
  if (applied.migrated !== n) throw new Error(`migrated ${applied.migrated} of ${n}: ${JSON.stringify(applied.outcomes.find((o) => o.error))}`)
  const [left] = await db.sql`select count(*)::int as n from assets where mimetype <> lower(mimetype)`

  const idle = performance.now()
  const nothing = await migrateAllTenants(db.sql, {}, ctx)
  const idleMs = performance.now() - idle

  console.log(`tenant migrate --all, ${n} tenants`)
  console.log(`  nothing pending: ${Math.round(idleMs)} ms (one query; target < 1 s; pending ${nothing.pending})`)
  console.log(`  one pending data migration (${data.name}, ${2 * n} asset rows): ${seconds(applyMs)}, ${Math.round(n / (applyMs / 1000))} tenants/s, 50 tenants to a transaction, pipelined, each under savepoints of its own, as the application role`)
  console.log(`  floor (one set-based UPDATE of the same rows): ${Math.round(floorMs)} ms; rows left unmigrated: ${left.n}`)
  ratio('tenant migrate --all vs one UPDATE', applyMs, floorMs, 10)
} finally {
  await db.drop()
  await rm(dir, {recursive: true, force: true})
}
