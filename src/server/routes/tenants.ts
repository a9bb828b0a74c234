import type {FastifyInstance} from 'fastify'
import type {ZodTypeProvider} from 'fastify-type-provider-zod'
import {z} from 'zod'

import {MAX_PAGE} from '../../lib/paging.js'
import {AppError} from '../../lib/errors.js'
import {tenantUpdateInputSchema, updateTenant} from '../../lib/tenant-update.js'
import {createTenant, getTenant, listTenants, type TenantInput, tenantSpecSchema, tenantVersion} from '../../lib/tenants.js'
import type {RouteDeps} from '../app.js'
import {problems} from '../responses.js'
import {ROUTE_RESULTS} from '../results.js'

export const tenantParams = z.strictObject({idOrSubdomain: z.string().describe('a tenant id or subdomain')})

export function tenantRoutes(parent: FastifyInstance, {sql, ctxFor, metrics, baseDomain}: RouteDeps): void {
  const app = parent.withTypeProvider<ZodTypeProvider>()

  app.post('/v1/tenants', {
    config: {scope: 'tenants:write'},
    schema: {
      operationId: 'createTenant',
      summary: 'Create a tenant (anthias tenant create)',
      description: 'Validated, created and audited as `anthias tenant create` does, in one transaction. Without ownerPassword, an ownerEmail gets an invitation whose token is in the response, once.',
      tags: ['tenants'],
      body: tenantSpecSchema(baseDomain).strict(),
      headers: idempotencyHeader,
      response: {201: ROUTE_RESULTS.createTenant, ...problems(400, 401, 403, 409, 422, 429)},
    },
  }, async (request, reply) => {
    const result = await createTenant(sql, request.body as TenantInput, ctxFor(request.operator))
    metrics.tenantsCreated.inc()
    return reply.code(201).header('location', `/v1/tenants/${result.tenant.id}`).header('etag', `"${tenantVersion(result.tenant)}"`).send(result)
  })

  app.get('/v1/tenants', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'listTenants',
      summary: 'List tenants a page at a time (anthias tenant list)',
      description: 'Pass nextCursor as `after` for the next page; it is null on the last.',
      tags: ['tenants'],
      querystring: z.strictObject({
        limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100).describe('tenants on the page'),
        after: z.string().optional().describe('the nextCursor of the page before'),
        plan: z.string().optional().describe('only tenants on this plan'),
        status: z.string().optional().describe('only tenants with this status: active or suspended'),
        search: z.string().optional().describe('name or subdomain contains this text, literally'),
        sort: z.string().optional().describe('subdomain, name or created; a leading - for descending'),
      }),
      response: {200: ROUTE_RESULTS.listTenants, ...problems(400, 401, 403, 429)},
    },
  }, async (request) => listTenants(sql, request.query, baseDomain))

  app.get('/v1/tenants/:idOrSubdomain', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'getTenant',
      summary: 'One tenant in full (anthias tenant show)',
      description: 'The ETag header is its version: send it back as If-Match to update it.',
      tags: ['tenants'],
      params: tenantParams,
      response: {200: ROUTE_RESULTS.getTenant, ...problems(401, 403, 404, 429)},
    },
  }, async (request, reply) => {
    const tenant = await getTenant(sql, request.params.idOrSubdomain, baseDomain)
    return reply.header('etag', `"${tenantVersion(tenant)}"`).send(tenant)
  })

  app.patch('/v1/tenants/:idOrSubdomain', {
    config: {scope: 'tenants:write'},
    schema: {
      operationId: 'updateTenant',
      summary: "Change a tenant's name, limits, features, contact, settings or custom domain (anthias tenant update)",
      description: 'If-Match is required: the ETag of the tenant as last read. Another version now is 412 IF_MATCH_FAILED and nothing changes. The response carries the new ETag.',
      tags: ['tenants'],
      params: tenantParams,
      headers: z.looseObject({'if-match': z.string().optional().describe("the tenant's ETag as last read")}),
      body: tenantUpdateInputSchema,
      response: {200: ROUTE_RESULTS.updateTenant, ...problems(400, 401, 403, 404, 409, 412, 428, 429)},
    },
  }, async (request, reply) => {
    const version = ifMatch(request.headers['if-match'])
    const result = await updateTenant(sql, request.params.idOrSubdomain, request.body, ctxFor(request.operator), undefined, {ifVersion: version})
    return reply.header('etag', `"${tenantVersion(result.after)}"`).send(result)
  })
}

/** If-Match's version: `"abc"` or W/"abc" (a proxy may weaken it), the quotes off. */
function ifMatch(header: string | undefined): string {
  if (header === undefined) {
    throw new AppError('IF_MATCH_REQUIRED', 'An update needs If-Match: the ETag of the tenant as you last read it, so that two tools cannot overwrite each other\'s change.', {
      field: 'If-Match',
      suggestions: ['GET the tenant and send its ETag header back as If-Match.'],
    })
  }
  return header.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')
}

export const idempotencyHeader = z.looseObject({
  'idempotency-key': z.string().optional().describe('retrying the same request with the same key answers with the first response instead of doing it again (kept 24 h)'),
})
