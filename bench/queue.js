// 10,000 tenants (default) through the queue with 1, 2 and 4 worker processes (each --concurrency 2),
// against the direct `tenant bulk-create` of the same file, all measured in this run, each on a fresh
// database. Queued time: from `bulk-create --queue` starting (validation and enqueue included) until
// the run's last row is settled; the workers are started and ready before.
//   node bench/queue.js [N] [workers...]
import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {freshDatabase, ratio, seconds, tenantRows, writeCsv} from './lib.js'

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const n = Number(process.argv[2] ?? 10_000)
const workerCounts = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 2, 4]
const dir = await mkdtemp(join(tmpdir(), 'anthias-bench-queue-'))
const csv = join(dir, 'tenants.csv')
await writeCsv(csv, tenantRows(n))

function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')}: exit ${code}`))))
  })
}

function startWorker(env) {
  const child = spawn(process.execPath, [BIN, 'worker', '--json', '--concurrency', '2'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'inherit']})
  let out = ''
  const ready = new Promise((resolve) => child.stdout.on('data', (c) => {
    out += c
    if (out.includes('"event":"started"')) resolve()
  }))
  return {child, ready, exited: new Promise((resolve) => child.on('exit', resolve))}
}

async function direct() {
  const db = await freshDatabase('direct')
  try {
    const started = performance.now()
    await run(['tenant', 'bulk-create', csv, '--json'], {ANTHIAS_DATABASE_URL: urlOf(db)})
    return performance.now() - started
  } finally {
    await db.drop()
  }
}

const urlOf = (db) => {
  const o = db.sql.options
  return `postgres://${o.user}@${o.host[0]}:${o.port[0]}/${o.database}`
}

async function queued(workers) {
  const db = await freshDatabase(`queue${workers}`)
  const env = {ANTHIAS_DATABASE_URL: urlOf(db)}
  const procs = Array.from({length: workers}, () => startWorker(env))
  try {
    await Promise.all(procs.map((p) => p.ready))
    const started = performance.now()
    const out = await run(['tenant', 'bulk-create', csv, '--queue', '--json'], env)
    const enqueued = performance.now() - started
    const {runId} = JSON.parse(out).result
    for (;;) {
      const [row] = await db.sql`select status, created from provisioning_runs where id = ${runId}`
      if (row.status === 'completed') {
        if (row.created !== n) throw new Error(`created ${row.created} of ${n}`)
        break
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    return {ms: performance.now() - started, enqueued}
  } finally {
    for (const p of procs) p.child.kill('SIGTERM')
    await Promise.all(procs.map((p) => p.exited))
    await db.drop()
  }
}

try {
  const directMs = await direct()
  console.log(`queued provisioning, ${n} tenants (each: owner invitation, features, settings, audit row); workers --concurrency 2`)
  console.log(`  direct tenant bulk-create:  ${seconds(directMs)}  (${Math.round(n / (directMs / 1000))} tenants/s)`)
  for (const w of workerCounts) {
    const {ms, enqueued} = await queued(w)
    console.log(`  queue, ${w} worker(s):       ${seconds(ms)}  (${Math.round(n / (ms / 1000))} tenants/s; validate+enqueue ${seconds(enqueued)})`)
    ratio(`queue, ${w} worker(s) vs direct bulk-create`, ms, directMs, 1.5)
  }
} finally {
  await rm(dir, {recursive: true, force: true})
}
