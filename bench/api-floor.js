// Not a bench of its own: the floor server bench/api.js starts for GET /v1/subdomains/{s}. A bare
// fastify server, one route, the one query a check of a free subdomain runs (checkSubdomain in
// src/lib/subdomains.ts) through postgres.js, with a pool the size of serve's (openDatabase's 10);
// and the same route after the operator token's lookup (authenticateOperator's one statement),
// the database work every authenticated request of the API does first.
//   ANTHIAS_DATABASE_URL=... node bench/api-floor.js   (prints "listening on URL" on stderr)
import Fastify from 'fastify'
import postgres from 'postgres'

import {authenticateOperator} from '../dist/lib/operator-tokens.js'

const sql = postgres(process.env.ANTHIAS_DATABASE_URL, {max: 10, onnotice: () => undefined})
const app = Fastify()
const check = async (subdomain) => {
  const [tenant] = await sql`select id, name from tenants where lower(subdomain) = ${subdomain}`
  return tenant ? {subdomain, status: 'taken', available: false, tenant} : {subdomain, status: 'available', available: true}
}
app.get('/v1/subdomains/:subdomain', async (request) => check(request.params.subdomain.toLowerCase()))
app.get('/authenticated/v1/subdomains/:subdomain', async (request) => {
  await authenticateOperator(sql, request.headers.authorization?.replace(/^Bearer\s+/i, ''))
  return check(request.params.subdomain.toLowerCase())
})
const address = await app.listen({host: '127.0.0.1', port: 0})
process.stderr.write(`listening on ${address}\n`)
process.once('SIGTERM', async () => {
  await app.close()
  await sql.end()
})
