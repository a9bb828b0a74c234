// The HTTP API against its floors, with autocannon (duration-based) at 1, 16 and 64 connections,
// all measured in this run on one fresh database:
// - GET /v1/subdomains/{s} (a free subdomain, operator token auth) on a real `anthias serve`
//   process, against a bare fastify process with one route running the same single query
//   (bench/api-floor.js), and, for information, against that route after the token lookup;
// - POST /v1/tenants (an owner invitation, no password; a new subdomain each request) on the same
//   server, against the library's createTenant called in this process by as many concurrent loops,
//   on a pool the size of serve's (10).
// Prints requests/s and p50/p99 of each; the ratio is floor requests/s over API requests/s (in the
// summary table as ms per request, 1000 / requests/s). Target: 1.3x.
//   node bench/api.js [SECONDS per run, default 3] [connections...]
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import autocannon from 'autocannon'

import {createOperatorToken, createTenant, openDatabase, resolveContext} from '../dist/lib/index.js'
import {freshDatabase, ratio} from './lib.js'

const seconds = Number(process.argv[2] ?? 3)
const connectionCounts = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 16, 64]
const TARGET = 1.3
const bin = (name) => fileURLToPath(new URL(name, import.meta.url))

/** A node process running `args` until stop(); `url` once it prints "listening on URL" on stderr. */
function server(args, env) {
  const child = spawn(process.execPath, args, {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  const url = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d
      const found = /listening on (\S+)/.exec(stderr)
      if (found) resolve(found[1])
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`)))
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  // SIGTERM, and the exit code 0 the README promises (a hung-up client's work is waited for, src/server/drain.ts)
  const stop = async () => {
    child.kill('SIGTERM')
    const code = await exited
    if (code !== 0) throw new Error(`${args.join(' ')} exited ${code} after SIGTERM: ${stderr}`)
  }
  return {url, stop}
}

/** requests/s, p50 and p99 (ms) of one autocannon run; every answer must be `status`. */
async function cannon(url, connections, status, setupRequest) {
  const result = await autocannon({url, connections, duration: seconds, requests: [{setupRequest}]})
  const answered = result.statusCodeStats?.[status]?.count ?? 0
  if (result.errors || result.timeouts || answered !== result.requests.total) {
    throw new Error(`${url} ${connections} connections: ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors, ${result.timeouts} timeouts`)
  }
  return {rps: result.requests.total / result.duration, p50: result.latency.p50, p99: result.latency.p99}
}

/** `connections` loops calling `call` for the run's duration: requests/s, p50 and p99 (ms). */
async function loops(connections, call) {
  const latencies = []
  const started = performance.now()
  const end = started + seconds * 1000
  await Promise.all(Array.from({length: connections}, async () => {
    while (performance.now() < end) {
      const t0 = performance.now()
      await call()
      latencies.push(performance.now() - t0)
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
  return {rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99)}
}

const line = (label, m) => console.log(`  ${label.padEnd(54)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50.toFixed(1).padStart(6)} ms  p99 ${m.p99.toFixed(1).padStart(6)} ms`)

const db = await freshDatabase('api')
const env = {ANTHIAS_DATABASE_URL: db.url, NO_COLOR: '1'}
delete process.env.DATABASE_URL
const ctx = resolveContext({actor: 'bench'})
const {token} = await createOperatorToken(db.sql, {name: 'bench', scopes: ['tenants:read', 'tenants:write']}, ctx)
const auth = {authorization: `Bearer ${token}`}
const serve = server([bin('../bin/run.js'), 'serve', '--port', '0', '--rate-limit', '1000000000'], env)
const floor = server([bin('api-floor.js')], env)
const lib = await openDatabase({databaseUrl: db.url, dataDir: '/nonexistent', max: 10})
try {
  const [api, bare] = await Promise.all([serve.url, floor.url])
  const check = (req) => ({...req, method: 'GET', path: '/v1/subdomains/bench-free', headers: auth})
  let n = 0
  const tenant = (prefix) => {
    const subdomain = `${prefix}-${n++}`
    return {name: `Bench ${subdomain}`, subdomain, plan: 'basic', ownerEmail: `owner@${subdomain}.example.com`}
  }
  const create = (req) => ({...req, method: 'POST', path: '/v1/tenants', headers: {...auth, 'content-type': 'application/json'}, body: JSON.stringify(tenant('api'))})
  const direct = () => createTenant(lib.sql, tenant('lib'), ctx)

  // warm-up: both servers' code paths, the pools and the library's catalog
  await cannon(api, 16, 200, check)
  await cannon(bare, 16, 200, check)
  await cannon(api, 16, 201, create)
  await loops(16, direct)

  console.log(`HTTP API against its floors, ${seconds} s per run (autocannon):`)
  const results = []
  for (const c of connectionCounts) {
    const floorGet = await cannon(bare, c, 200, check)
    const floorAuthGet = await cannon(bare, c, 200, (req) => ({...check(req), path: '/authenticated/v1/subdomains/bench-free'}))
    const apiGet = await cannon(api, c, 200, check)
    const floorPost = await loops(c, direct)
    const apiPost = await cannon(api, c, 201, create)
    line(`GET subdomain, bare fastify, ${c} conn`, floorGet)
    line(`GET subdomain, bare fastify + token lookup, ${c} conn`, floorAuthGet)
    line(`GET /v1/subdomains/{s}, anthias serve, ${c} conn`, apiGet)
    console.log(`    (informational: the API against the bare route that also looks up the token: ${(floorAuthGet.rps / apiGet.rps).toFixed(2)}x)`)
    line(`createTenant in-process, ${c} loops`, floorPost)
    line(`POST /v1/tenants, anthias serve, ${c} conn`, apiPost)
    results.push([`api: GET /v1/subdomains, ${c} conn`, apiGet, floorGet], [`api: POST /v1/tenants, ${c} conn`, apiPost, floorPost])
  }
  // ms per request, so that the ratio is the floor's requests/s over the API's
  for (const [name, measured, floorOf] of results) ratio(name, 1000 / measured.rps, 1000 / floorOf.rps, TARGET)
} finally {
  await Promise.all([serve.stop(), floor.stop()])
  await lib.close()
  await db.drop()
}
