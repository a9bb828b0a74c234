// Bulk create of N tenants (default 10,000) against a floor measured in the same run:
// the same rows (tenants, features, users, invitations, audit rows) loaded with COPY.
//   node bench/bulk-create.js [N]
import {randomUUID, randomBytes, createHash} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {provisionFromSource} from '../dist/lib/bulk/provision.js'
import {fileInput} from '../dist/inputs.js'
import {csvSource} from '../dist/lib/bulk/sources.js'
import {resolveContext} from '../dist/lib/context.js'
import {DEFAULT_PASSWORD_POLICY} from '../dist/lib/validation.js'
import {freshDatabase, ratio, seconds, tenantRows, writeCsv} from './lib.js'

const n = Number(process.argv[2] ?? 10_000)
const ctx = resolveContext({actor: 'bench'})
const rows = tenantRows(n)
const dir = await mkdtemp(join(tmpdir(), 'anthias-bench-'))
const csv = join(dir, 'tenants.csv')
await writeCsv(csv, rows)

const copyText = (records) => records.map((r) => r.map((v) => (v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'))).join('\t')).join('\n') + '\n'

async function copy(sql, table, columns, records) {
  const writable = await sql.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`).writable()
  await pipeline(Readable.from([copyText(records)]), writable)
}

async function floor() {
  const db = await freshDatabase('floor')
  const limits = {basic: [100, 10, 5, 10], professional: [500, 50, 25, 100], enterprise: [2000, 200, 100, 500]}
  const tenants = [], features = [], users = [], memberships = [], audit = []
  const expires = new Date(Date.now() + 7 * 86_400_000).toISOString()
  for (const r of rows) {
    const id = randomUUID(), userId = randomUUID()
    const [a, u, d, s] = limits[r.plan]
    tenants.push([id, r.name, r.subdomain, r.plan, a, u, d, s, r.contactEmail, JSON.stringify({timezone: r.timezone}), JSON.stringify(DEFAULT_PASSWORD_POLICY), createHash('sha256').update(r.subdomain).digest('hex')])
    for (const f of r.features) features.push([id, f, true])
    users.push([userId, r.ownerEmail])
    memberships.push([id, userId, 'owner', '{"admin":true}', 'invited', createHash('sha256').update(randomBytes(32)).digest('hex'), expires])
    audit.push([id, 'bench', 'tenant.create', r.subdomain, JSON.stringify({...r, plan: r.plan}), 'success'])
  }
  const started = performance.now()
  await db.sql.begin(async (tx) => {
    await copy(tx, 'tenants', ['id', 'name', 'subdomain', 'plan_id', 'max_assets', 'max_users', 'max_devices', 'storage_quota_gb', 'contact_email', 'settings', 'password_policy', 'spec_sha256'], tenants)
    await copy(tx, 'tenant_features', ['tenant_id', 'feature', 'enabled'], features)
    await copy(tx, 'users', ['id', 'email'], users)
    await copy(tx, 'memberships', ['tenant_id', 'user_id', 'role', 'permissions', 'status', 'invitation_token_hash', 'invitation_expires_at'], memberships)
    await copy(tx, 'audit_log', ['tenant_id', 'actor', 'action', 'subject', 'arguments', 'outcome'], audit)
  })
  const ms = performance.now() - started
  await db.drop()
  return ms
}

async function bulk() {
  const db = await freshDatabase('bulk')
  const started = performance.now()
  const report = await provisionFromSource(db.sql, csvSource(await fileInput(csv, 'FILE')), ctx, {concurrency: 2})
  const ms = performance.now() - started
  if (report.created !== n) throw new Error(`created ${report.created} of ${n}`)
  const [counts] = await db.sql`select (select count(*)::int from tenants) as tenants, (select count(*)::int from memberships) as members,
    (select count(*)::int from tenant_features) as features, (select count(*)::int from audit_log) as audit`
  await db.drop()
  return {ms, counts}
}

try {
  const floorMs = await floor()
  const {ms, counts} = await bulk()
  console.log(`bulk create, ${n} tenants (each: owner invitation, features, settings, audit row)`)
  console.log(`  floor (COPY of the same rows):  ${seconds(floorMs)}`)
  console.log(`  anthias tenant bulk-create:     ${seconds(ms)}  (${Math.round(n / (ms / 1000))} tenants/s; rows: ${JSON.stringify(counts)})`)
  ratio('bulk-create vs COPY', ms, floorMs, 2)
} finally {
  await rm(dir, {recursive: true, force: true})
}
