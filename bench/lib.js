// Shared helpers for the benchmarks: fresh databases and generated input files.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {appendFileSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'

import postgres from 'postgres'

import {openDatabase} from '../dist/lib/db/connect.js'
import {loadTenantMigrations} from '../dist/lib/tenant-migrations.js'

export const ADMIN_URL = process.env.ANTHIAS_BENCH_DATABASE_URL ?? process.env.ANTHIAS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A new migrated database (`url` to reach it); drop() removes it. */
export async function freshDatabase(label) {
  const name = `anthias_bench_${label}_${randomBytes(3).toString('hex')}`
  const admin = postgres(ADMIN_URL, {max: 1, onnotice: () => undefined})
  await admin.unsafe(`create database ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const db = await openDatabase({databaseUrl: url.toString(), dataDir: '/nonexistent', max: 8})
  return {
    ...db,
    url: url.toString(),
    async drop() {
      await db.close()
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}

export const FEATURES = ['analytics_dashboard', 'api_access', 'custom_branding']

/** n tenants as CSV rows: owner invitation, features and settings on each. */
export function tenantRows(n) {
  const rows = []
  for (let i = 0; i < n; i++) {
    rows.push({
      name: `Bench Tenant ${i}`,
      subdomain: `bench-${i}`,
      plan: ['basic', 'professional', 'enterprise'][i % 3],
      contactEmail: `billing${i}@bench.example.com`,
      ownerEmail: `owner${i}@bench.example.com`,
      features: FEATURES.slice(0, 1 + (i % 3)),
      timezone: 'Europe/Paris',
    })
  }
  return rows
}

export async function writeCsv(path, rows) {
  const lines = ['name,subdomain,plan,contact_email,owner_email,features,timezone']
  for (const r of rows) lines.push([r.name, r.subdomain, r.plan, r.contactEmail, r.ownerEmail, r.features.join(';'), r.timezone].join(','))
  await writeFile(path, lines.join('\n') + '\n')
}

export const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`

/**
 * `tenant migrate --all`'s workload on the tenants there: two assets each with upper-case
 * mimetypes and the initial tenant migration applied, so the data migration is pending.
 * Returns that migration.
 */
export async function pendingDataMigration(db) {
  const [initial, data] = await loadTenantMigrations()
  await db.sql`insert into assets (tenant_id, name, uri, mimetype) select id, 'Asset ' || g, 'a.png', 'IMAGE/PNG' from tenants, generate_series(1, 2) g`
  await db.sql`insert into tenant_migrations (tenant_id, version, name, checksum, duration_ms) select id, ${initial.version}, ${initial.name}, ${initial.checksum}, 0 from tenants`
  await db.sql`vacuum analyze`
  return data
}

/**
 * Print one measured ratio against its floor and record it for the summary table that
 * `npm run bench` (bench/all.js) prints at the end. target: the ratio to stay at or under.
 */
export function ratio(name, measuredMs, floorMs, target) {
  const value = measuredMs / floorMs
  const verdict = value <= target ? 'ok' : 'OVER'
  console.log(`  ratio ${name}: ${value.toFixed(2)}x (target <= ${target}x) ${verdict}`)
  if (process.env.ANTHIAS_BENCH_SUMMARY) {
    appendFileSync(process.env.ANTHIAS_BENCH_SUMMARY, JSON.stringify({name, measuredMs, floorMs, ratio: value, target}) + '\n')
  }
  return value
}

/** One whole process (node with `args`), in ms; its exit code must be `expected`. */
export function timedProcess(args, env, expected = 0) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - started
      if (code !== expected) reject(new Error(`${args.slice(1).join(' ')} exited ${code}: ${stderr}`))
      else resolve(ms)
    })
  })
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Whole processes timed side by side: `rounds` rounds, each case once per round in an order
 * that rotates, after one warm-up run of each; returns each case's median in ms.
 * cases: [{args, env, expected}] (expected: the exit code, 0 unless given)
 */
export async function interleaved(cases, rounds) {
  const times = cases.map(() => [])
  for (const c of cases) await timedProcess(c.args, c.env, c.expected)
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      const c = (i + r) % cases.length
      times[c].push(await timedProcess(cases[c].args, cases[c].env, cases[c].expected))
    }
  }
  return times.map(median)
}
