import type {FastifyInstance, FastifyRequest} from 'fastify'
import type {Sql} from 'postgres'

import {checkIdempotencyKey, claimIdempotent, completeIdempotent, purgeIdempotencyKeys, releaseIdempotent, requestHash} from '../lib/idempotency.js'
import {canonicalJson} from '../lib/tenants.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** the Idempotency-Key this request holds (it answers first): its response is stored when sent */
    idempotencyKey?: {tokenId: string; key: string}
  }
}

/** The response headers a replay repeats, with the status and the body's bytes. */
const KEPT_HEADERS = ['content-type', 'location', 'etag']

/**
 * Idempotency-Key on every POST of an authenticated route (src/lib/idempotency.ts):
 * claimed after validation, so a refused body never takes a key; the first
 * request's response stored as sent (a 5xx is not: the key is released for a retry);
 * a retry answered with it and `Idempotent-Replayed: true`.
 */
export function idempotency(app: FastifyInstance, sql: Sql, options: {waitMs: number; abandonAfterMs: number}): void {
  // the keys past their 24 hours, deleted when the server starts listening and every hour
  let purge: NodeJS.Timeout | undefined
  const purgeNow = () => purgeIdempotencyKeys(sql).catch((error: unknown) => app.log.warn({err: error}, 'purging idempotency keys failed'))
  app.addHook('onListen', async () => {
    await purgeNow()
    purge = setInterval(purgeNow, 3_600_000).unref()
  })
  app.addHook('onClose', async () => clearInterval(purge))
  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers['idempotency-key']
    if (request.method !== 'POST' || header === undefined || !request.operator) return
    const key = checkIdempotencyKey(Array.isArray(header) ? header.join(',') : header)
    const hash = requestHash(request.method, request.url, canonicalJson(request.body ?? null))
    const claim = await claimIdempotent(sql, request.operator.id, key, hash, options)
    if (claim.state === 'first') {
      request.idempotencyKey = {tokenId: request.operator.id, key}
      return
    }
    const {status, headers, body} = claim.response
    return reply.code(status).headers({...headers, 'idempotent-replayed': 'true'}).send(body)
  })

  app.addHook('onSend', async (request: FastifyRequest, reply, payload) => {
    const held = request.idempotencyKey
    if (!held) return payload
    request.idempotencyKey = undefined
    if (reply.statusCode >= 500 || typeof payload !== 'string') {
      await releaseIdempotent(sql, held.tokenId, held.key)
      return payload
    }
    const headers: Record<string, string> = {}
    for (const name of KEPT_HEADERS) {
      const value = reply.getHeader(name)
      if (value !== undefined) headers[name] = String(value)
    }
    await completeIdempotent(sql, held.tokenId, held.key, {status: reply.statusCode, headers, body: payload})
    return payload
  })
}
