// Bulk create, whole process: `anthias tenant bulk-create` of N tenants (default 10,000; start-up,
// read, validate, write) against a floor measured in the same run: a `psql` process loading the
// same rows (tenants, features, users, invitations, audit rows) into the same tables with COPY.
// Then the CLI's peak RSS at larger files (default 100,000 rows; --rss-rows 100000,1000000 for more).
//   node bench/bulk-create.js [N] [--rss-rows R1,R2,...]
import {execFileSync} from 'node:child_process'
import {randomUUID, randomBytes, createHash} from 'node:crypto'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {DEFAULT_PASSWORD_POLICY} from '../dist/lib/validation.js'
import {freshDatabase, ratio, seconds, tenantRows, writeCsv} from './lib.js'

const args = process.argv.slice(2)
const flag = args.indexOf('--rss-rows')
const rssRows = flag === -1 ? [100_000] : args[flag + 1].split(',').map(Number)
const n = Number(args.find((a, i) => !a.startsWith('--') && i !== flag + 1) ?? 10_000)
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'anthias-bench-'))

const copyText = (records) => records.map((r) => r.map((v) => (v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'))).join('\t')).join('\n') + '\n'

/** The rows a bulk create of `rows` writes, as COPY files, and the psql script that loads them in one transaction. */
async function copyScript(rows) {
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
  const tables = [
    ['tenants', ['id', 'name', 'subdomain', 'plan_id', 'max_assets', 'max_users', 'max_devices', 'storage_quota_gb', 'contact_email', 'settings', 'password_policy', 'spec_sha256'], tenants],
    ['tenant_features', ['tenant_id', 'feature', 'enabled'], features],
    ['users', ['id', 'email'], users],
    ['memberships', ['tenant_id', 'user_id', 'role', 'permissions', 'status', 'invitation_token_hash', 'invitation_expires_at'], memberships],
    ['audit_log', ['tenant_id', 'actor', 'action', 'subject', 'arguments', 'outcome'], audit],
  ]
  const script = ['\\set ON_ERROR_STOP on', 'begin;']
  for (const [table, columns, records] of tables) {
    const file = join(dir, `${table}.copy`)
    await writeFile(file, copyText(records))
    script.push(`\\copy ${table} (${columns.join(', ')}) from '${file}'`)
  }
  script.push('commit;')
  const path = join(dir, 'load.sql')
  await writeFile(path, script.join('\n') + '\n')
  return path
}

/** A process run to its end: wall-clock milliseconds and peak RSS (MB, from /usr/bin/time). */
async function run(command, commandArgs, env) {
  const rss = join(dir, 'rss.txt')
  const started = performance.now()
  execFileSync('/usr/bin/time', ['-f', '%M', '-o', rss, command, ...commandArgs], {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 * 1024 * 1024})
  const ms = performance.now() - started
  return {ms, rssMb: Number((await readFile(rss, 'utf8')).trim().split('\n').at(-1)) / 1024}
}

async function floor(script) {
  const db = await freshDatabase('floor')
  try {
    return await run('psql', ['-X', '-q', '-d', db.url, '-f', script], {})
  } finally {
    await db.drop()
  }
}

async function bulk(csv, rows) {
  const db = await freshDatabase('bulk')
  try {
    // as a user runs it: bin/run.js itself (its #! line gives node its flags), with this node first on PATH
    const m = await run(BIN, ['tenant', 'bulk-create', csv], {DATABASE_URL: db.url, ANTHIAS_DATABASE_URL: '', CI: '1', ANTHIAS_ACTOR: 'bench', PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`})
    const [counts] = await db.sql`select (select count(*)::int from tenants) as tenants, (select count(*)::int from memberships) as members,
      (select count(*)::int from tenant_features) as features, (select count(*)::int from audit_log) as audit`
    if (counts.tenants !== rows) throw new Error(`created ${counts.tenants} of ${rows}`)
    return {...m, counts}
  } finally {
    await db.drop()
  }
}

try {
  const rows = tenantRows(n)
  const csv = join(dir, 'tenants.csv')
  await writeCsv(csv, rows)
  const script = await copyScript(rows)
  const floorRun = await floor(script)
  const cli = await bulk(csv, n)
  console.log(`bulk create, ${n} tenants, whole process (each: owner invitation, features, settings, audit row)`)
  console.log(`  floor (psql, COPY of the same rows):  ${seconds(floorRun.ms)}, peak RSS ${floorRun.rssMb.toFixed(0)} MB`)
  console.log(`  anthias tenant bulk-create:           ${seconds(cli.ms)}  (${Math.round(n / (cli.ms / 1000))} tenants/s), peak RSS ${cli.rssMb.toFixed(0)} MB; rows: ${JSON.stringify(cli.counts)}`)
  ratio('bulk-create vs psql COPY (whole process)', cli.ms, floorRun.ms, 1.5)
  for (const size of rssRows) {
    const big = join(dir, `t${size}.csv`)
    await writeCsv(big, tenantRows(size))
    const m = await bulk(big, size)
    await rm(big)
    console.log(`  ${size} tenants: ${seconds(m.ms)}, peak RSS ${m.rssMb.toFixed(0)} MB (target < 300 MB) ${m.rssMb < 300 ? 'ok' : 'OVER'}`)
    // time grows linearly with the rows: the larger file against the first run scaled to its size
    ratio(`bulk-create ${size} tenants vs ${size / n} x the ${n} run (linear)`, m.ms, (cli.ms * size) / n, 1.2)
  }
} finally {
  await rm(dir, {recursive: true, force: true})
}
