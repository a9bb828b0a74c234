// Shared helpers for the benchmarks: fresh databases and generated input files.
import {randomBytes} from 'node:crypto'
import {appendFileSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'

import postgres from 'postgres'

import {openDatabase} from '../dist/lib/db/connect.js'

export const ADMIN_URL = process.env.ANTHIAS_BENCH_DATABASE_URL ?? process.env.ANTHIAS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A new migrated database; drop() removes it. */
export async function freshDatabase(label) {
  const name = `anthias_bench_${label}_${randomBytes(3).toString('hex')}`
  const admin = postgres(ADMIN_URL, {max: 1, onnotice: () => undefined})
  await admin.unsafe(`create database ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const db = await openDatabase({databaseUrl: url.toString(), dataDir: '/nonexistent', max: 8})
  return {
    ...db,
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
