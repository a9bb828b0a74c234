import type {FastifyInstance} from 'fastify'
import type {ZodTypeProvider} from 'fastify-type-provider-zod'
import {z} from 'zod'

import {HTTP_STATUS} from '../../lib/error-catalogue.js'
import {createGuideTenant} from '../../lib/guide.js'
import type {RouteDeps} from '../app.js'
import {fastifyError, toProblem} from '../problem.js'
import {idempotencyHeader} from './tenants.js'

/** The guide's REST endpoint's answers, exactly. */
const success = z.strictObject({success: z.literal(true), tenant_id: z.string(), subdomain: z.string(), access_url: z.string()})
const failure = z.strictObject({success: z.literal(false), error: z.string()})

/** Every problem is the guide's 400, but for the token's refusals and the rate limit, which keep their statuses. */
const KEPT = new Set([HTTP_STATUS.unauthorized, HTTP_STATUS.forbidden, HTTP_STATUS.rateLimited])

/**
 * The guide's `provision_tenant` view (its "API Integration" example): POST
 * create_tenant's keyword arguments, get {success, tenant_id, subdomain,
 * access_url}, or {success: false, error} with status 400.
 */
export function compatRoutes(parent: FastifyInstance, {sql, ctxFor, metrics}: RouteDeps): void {
  const app = parent.withTypeProvider<ZodTypeProvider>()
  app.post('/api/provision_tenant', {
    config: {scope: 'tenants:write'},
    schema: {
      operationId: 'provisionTenant',
      summary: "The guide's provision_tenant endpoint (compatibility)",
      description: "The body is TenantManager.create_tenant's keyword arguments: name, subdomain, plan_type, contact_email, owner_email, max_users, ... Prefer POST /v1/tenants.",
      tags: ['compatibility'],
      body: z.record(z.string(), z.unknown()),
      headers: idempotencyHeader,
      response: {200: success, 400: failure, 401: failure, 403: failure, 429: failure},
    },
    errorHandler: (error, request, reply) => {
      const problem = toProblem(fastifyError(error))
      const failed = problem.status >= 500
      if (failed) request.log.error({err: error}, 'request failed')
      const message = failed ? `The server failed to answer (request ${request.id}); the details are in its log.` : [problem.detail, ...(problem.errors ?? []).map((e) => e.detail)].slice(problem.errors ? 1 : 0).join(' ')
      return reply.code(KEPT.has(problem.status) ? (problem.status as 401 | 403 | 429) : 400).send({success: false as const, error: message})
    },
  }, async (request) => {
    const {tenant} = await createGuideTenant(sql, request.body, ctxFor(request.operator))
    metrics.tenantsCreated.inc()
    return {success: true as const, tenant_id: tenant.id, subdomain: tenant.subdomain, access_url: tenant.accessUrl}
  })
}
