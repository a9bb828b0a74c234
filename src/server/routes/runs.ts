import type {FastifyInstance} from 'fastify'
import type {ZodTypeProvider} from 'fastify-type-provider-zod'
import {z} from 'zod'

import {PACE} from '../../lib/bulk/pace.js'
import {configSource, csvSource} from '../../lib/bulk/sources.js'
import {ValidationErrors} from '../../lib/errors.js'
import {bytesInput} from '../../lib/input.js'
import {requestText} from '../body.js'
import {enqueueSource, runStatus} from '../../lib/queue/runs.js'
import type {RouteDeps} from '../app.js'
import {problems} from '../responses.js'
import {ROUTE_RESULTS} from '../results.js'
import {idempotencyHeader} from './tenants.js'

const CSV = 'text/csv'

/** --rate and --batch-size of `--queue`, as the query string */
const paceQuery = z.strictObject({
  rate: z.coerce.number().int().min(PACE.rate.min).max(PACE.rate.max).optional().describe('at most this many tenants per second, across every worker (--rate)'),
  batchSize: z.coerce.number().int().min(PACE.batchSize.min).max(PACE.batchSize.max).optional()
    .describe(`tenants per job, default ${PACE.batchSize.default}; with rate, at most a quarter second's worth (--batch-size)`),
})

/**
 * Provisioning runs: a CSV (tenant bulk-create's) or the guide's JSON config
 * (tenant provision's) validated whole and queued as `--queue` does, for the
 * workers; and a run's status (run show).
 */
export function runRoutes(parent: FastifyInstance, {sql, ctxFor}: RouteDeps): void {
  // in a context of their own: the body reaches the library as the bytes sent, so its problems name their lines
  void parent.register(async (child) => {
    child.removeContentTypeParser('application/json')
    child.addContentTypeParser([CSV, 'application/json'], {parseAs: 'buffer'}, (_request, body, done) => {
      try {
        done(null, requestText(body as Buffer))
      } catch (error) {
        done(error as Error)
      }
    })
    const app = child.withTypeProvider<ZodTypeProvider>()

    app.post('/v1/runs', {
      config: {scope: 'bulk'},
      schema: {
        operationId: 'createRun',
        summary: 'Queue a provisioning run (anthias tenant bulk-create FILE --queue, tenant provision FILE --queue)',
        description: "The body is the file: a CSV as text/csv (tenant bulk-create's columns) or the guide's JSON configuration as application/json. Every row is validated at once, as --queue does: any problem is 422 RUN_REFUSED with every one in errors[] (with its line) and nothing is queued; else 202, Location the run, and its status. `anthias worker` processes create the tenants.",
        tags: ['runs'],
        consumes: [CSV, 'application/json'],
        body: z.string().describe('the CSV or JSON file'),
        querystring: paceQuery,
        headers: idempotencyHeader,
        response: {202: ROUTE_RESULTS.createRun, ...problems(400, 401, 403, 409, 422, 429)},
      },
    }, async (request, reply) => {
      const csv = (request.headers['content-type'] ?? '').toLowerCase().startsWith(CSV)
      const input = bytesInput(csv ? 'request.csv' : 'request.json', Buffer.from(request.body))
      const report = await enqueueSource(sql, csv ? csvSource(input) : configSource(input), ctxFor(request.operator), request.query)
      if (report.runId === null) {
        throw new ValidationErrors(report.errors, {code: 'RUN_REFUSED', message: `Nothing was queued: ${report.errors.length} problem(s) in the file; see errors[].`})
      }
      return reply.code(202).header('location', `/v1/runs/${report.runId}`).send(await runStatus(sql, report.runId))
    })
  })

  const app = parent.withTypeProvider<ZodTypeProvider>()
  app.get('/v1/runs/:id', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'getRun',
      summary: 'A provisioning run: its rows counted by state, its failures, rate and ETA (anthias run show)',
      tags: ['runs'],
      params: z.strictObject({id: z.string().describe('the run id (the Location of POST /v1/runs)')}),
      response: {200: ROUTE_RESULTS.getRun, ...problems(400, 401, 403, 404, 429)},
    },
  }, async (request) => runStatus(sql, request.params.id))
}
