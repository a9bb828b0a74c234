// Backup and restore of one tenant with N asset rows (default 100,000) among another
// tenant's rows, against pg_dump --data-only of the same rows and psql loading that dump.
//   node bench/backup.js [N]
import {execFileSync} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {backupInput} from '../dist/inputs.js'
import {writeBackupFile} from '../dist/backup-files.js'
import {restoreTenant} from '../dist/lib/backup.js'
import {resolveContext} from '../dist/lib/context.js'
import {deleteTenant} from '../dist/lib/tenant-delete.js'
import {createTenant} from '../dist/lib/tenants.js'
import {freshDatabase, ratio, seconds} from './lib.js'

const n = Number(process.argv[2] ?? 100_000)
const ctx = resolveContext({actor: 'bench'})
const dir = await mkdtemp(join(tmpdir(), 'anthias-bench-'))
const TABLES = ['tenants', 'users', 'memberships', 'tenant_features', 'tenant_migrations', 'monitoring_configs', 'notification_outbox', 'api_keys', 'assets', 'devices', 'qr_contents']
// the progress callback the CLI passes (its renderer throttles); counted, to show it was called
let progressEvents = 0
const onProgress = () => progressEvents++
const time = async (fn) => {
  const started = performance.now()
  await fn()
  return performance.now() - started
}
const main = await freshDatabase('backup')
const floor = await freshDatabase('floor')
const load = await freshDatabase('load')
try {
  const ids = []
  for (const s of ['bench-a', 'bench-b']) {
    const {tenant} = await createTenant(main.sql, {name: s, subdomain: s, ownerEmail: `owner@${s}.example.com`, features: {api_access: true}, maxAssets: n, maxDevices: 100}, ctx)
    ids.push(tenant.id)
    await main.sql`insert into assets (tenant_id, name, uri, mimetype, size_bytes, created_by)
      select ${tenant.id}, 'Asset ' || g, 'https://cdn.example.com/' || g || '.png', 'image/png', g, (select user_id from memberships where tenant_id = ${tenant.id})
      from generate_series(1, ${n}) g`
    await main.sql`insert into devices (tenant_id, name) select ${tenant.id}, 'Screen ' || g from generate_series(1, 100) g`
  }
  await main.sql`vacuum analyze`
  const file = join(dir, 'a.sql')
  const backupMs = await time(() => writeBackupFile(main.sql, 'bench-a', file, {onProgress}))

  // the floor: the same rows alone in a database, dumped with pg_dump and loaded with psql
  execFileSync('psql', [floor.displayUrl.replace(':***@', '@'), '-v', 'ON_ERROR_STOP=1', '-q', '-f', file])
  await floor.sql`vacuum analyze`
  const dump = join(dir, 'dump.sql')
  const floorUrl = floor.displayUrl.replace(':***@', '@')
  const dumpMs = await time(async () => execFileSync('pg_dump', ['--data-only', ...TABLES.flatMap((t) => ['-t', t]), '-f', dump, floorUrl]))
  const psqlMs = await time(async () => execFileSync('psql', [load.displayUrl.replace(':***@', '@'), '-v', 'ON_ERROR_STOP=1', '-q', '-f', dump]))

  await deleteTenant(main.sql, 'bench-a', 'bench-a', ctx)
  const input = await backupInput(file)
  const restoreMs = await time(() => restoreTenant(main.sql, input, {onProgress}, ctx))
  const [check] = await main.sql`select count(*)::int as n from assets where tenant_id = ${ids[0]}`
  if (check.n !== n) throw new Error(`restored ${check.n} of ${n} assets`)

  console.log(`tenant backup and restore, ${n} asset rows (plus ${n} of another tenant in the same tables)`)
  console.log(`  backup:  ${seconds(backupMs)}  vs pg_dump --data-only of the same rows ${seconds(dumpMs)}`)
  ratio('tenant backup vs pg_dump', backupMs, dumpMs, 1.5)
  console.log(`  progress events: ${progressEvents} (per COPY chunk, never per row)`)
  console.log(`  restore: ${seconds(restoreMs)}  vs psql loading that dump ${seconds(psqlMs)}`)
  ratio('tenant restore vs psql', restoreMs, psqlMs, 1.5)
} finally {
  await main.drop()
  await floor.drop()
  await load.drop()
  await rm(dir, {recursive: true, force: true})
}
