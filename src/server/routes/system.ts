import type {FastifyInstance} from 'fastify'
import type {ZodTypeProvider} from 'fastify-type-provider-zod'
import {z} from 'zod'

import {migrationStatus} from '../../lib/db/migrations.js'
import {AppError} from '../../lib/errors.js'
import {isUnreachableError} from '../../lib/db/connect.js'
import type {RouteDeps} from '../app.js'
import {problems} from '../responses.js'

/** Liveness, readiness and metrics: open (no token), never rate-limited. */
export function systemRoutes(parent: FastifyInstance, {sql, metrics}: RouteDeps): void {
  const app = parent.withTypeProvider<ZodTypeProvider>()
  const open = {rateLimit: false} as const

  app.get('/healthz', {
    config: open,
    schema: {operationId: 'health', summary: 'The process is up', tags: ['system'], response: {200: z.strictObject({ok: z.literal(true)})}},
  }, async () => ({ok: true as const}))

  app.get('/readyz', {
    config: open,
    schema: {
      operationId: 'ready',
      summary: 'The database is reachable and its schema current',
      tags: ['system'],
      response: {200: z.strictObject({ok: z.literal(true), schemaVersion: z.number().int()}), ...problems(503)},
    },
  }, async () => {
    let status
    try {
      status = await migrationStatus(sql)
    } catch (error) {
      if (!isUnreachableError(error)) throw error
      throw new AppError('DB_UNREACHABLE', `The database is unreachable: ${(error as Error).message}`, {cause: error})
    }
    if (status.pending.length > 0) {
      throw new AppError('SCHEMA_NOT_CURRENT', `The database schema is at version ${status.schemaVersion}; ${status.pending.length} migration(s) pending.`, {
        suggestions: [{command: 'db.migrate', text: 'Apply them with `{command}`.'}],
      })
    }
    return {ok: true as const, schemaVersion: status.schemaVersion}
  })

  app.get('/metrics', {config: open, schema: {hide: true}}, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()))
}
