import type {FastifyInstance} from 'fastify'
import type {ZodTypeProvider} from 'fastify-type-provider-zod'
import {z} from 'zod'

import {apiKeySchema, createApiKey, listApiKeys, revokeApiKey} from '../../lib/api-keys.js'
import {listAudit, parseSince} from '../../lib/audit.js'
import {inviteSchema, inviteUser, listMembers, removeMember} from '../../lib/members.js'
import {usageReports} from '../../lib/monitoring.js'
import {MAX_PAGE} from '../../lib/paging.js'
import {verifyTenant} from '../../lib/verify.js'
import type {RouteDeps} from '../app.js'
import {problems} from '../responses.js'
import {ROUTE_RESULTS} from '../results.js'
import {idempotencyHeader, tenantParams} from './tenants.js'

const page = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100).describe('rows on the page'),
  after: z.string().optional().describe('the nextCursor of the page before'),
}

/** A tenant's members and API keys, its usage and checklist; the audit trail. */
export function memberRoutes(parent: FastifyInstance, {sql, ctxFor}: RouteDeps): void {
  const app = parent.withTypeProvider<ZodTypeProvider>()

  app.post('/v1/tenants/:idOrSubdomain/members', {
    config: {scope: 'members:write'},
    schema: {
      operationId: 'inviteMember',
      summary: 'Invite a member (anthias user invite)',
      description: "max_users is enforced by the database (QUOTA_EXCEEDED, 409). The invitation token is in the response, once.",
      tags: ['members'],
      params: tenantParams,
      headers: idempotencyHeader,
      body: inviteSchema.strict(),
      response: {201: ROUTE_RESULTS.inviteMember, ...problems(400, 401, 403, 404, 409, 422, 429)},
    },
  }, async (request, reply) => {
    const invitation = await inviteUser(sql, request.params.idOrSubdomain, request.body, ctxFor(request.operator))
    return reply.code(201).header('location', `/v1/tenants/${invitation.tenantId}/members`).send(invitation)
  })

  app.get('/v1/tenants/:idOrSubdomain/members', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'listMembers',
      summary: 'Members and invitations (anthias user list)',
      tags: ['members'],
      params: tenantParams,
      querystring: z.strictObject(page),
      response: {200: ROUTE_RESULTS.listMembers, ...problems(400, 401, 403, 404, 429)},
    },
  }, async (request) => listMembers(sql, request.params.idOrSubdomain, request.query))

  app.delete('/v1/tenants/:idOrSubdomain/members/:email', {
    config: {scope: 'members:write'},
    schema: {
      operationId: 'removeMember',
      summary: 'Remove a member (anthias user remove)',
      description: 'The last active owner stays (LAST_OWNER, 409).',
      tags: ['members'],
      params: tenantParams.extend({email: z.string()}),
      response: {200: ROUTE_RESULTS.removeMember, ...problems(401, 403, 404, 409, 429)},
    },
  }, async (request) => removeMember(sql, request.params.idOrSubdomain, request.params.email, ctxFor(request.operator)))

  app.post('/v1/tenants/:idOrSubdomain/apikeys', {
    config: {scope: 'apikeys:write'},
    schema: {
      operationId: 'createApiKey',
      summary: "Create a tenant's API key (anthias apikey create)",
      description: 'The key is in the response, once; only its SHA-256 is stored. The tenant needs api_access (FEATURE_DISABLED, 409).',
      tags: ['apikeys'],
      params: tenantParams,
      headers: idempotencyHeader,
      body: apiKeySchema.strict(),
      response: {201: ROUTE_RESULTS.createApiKey, ...problems(400, 401, 403, 404, 409, 422, 429)},
    },
  }, async (request, reply) => {
    const key = await createApiKey(sql, request.params.idOrSubdomain, request.body, ctxFor(request.operator))
    return reply.code(201).header('location', `/v1/tenants/${request.params.idOrSubdomain}/apikeys`).send(key)
  })

  app.get('/v1/tenants/:idOrSubdomain/apikeys', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'listApiKeys',
      summary: "A tenant's API keys, never their secrets (anthias apikey list)",
      tags: ['apikeys'],
      params: tenantParams,
      querystring: z.strictObject(page),
      response: {200: ROUTE_RESULTS.listApiKeys, ...problems(400, 401, 403, 404, 429)},
    },
  }, async (request) => listApiKeys(sql, request.params.idOrSubdomain, request.query))

  app.delete('/v1/tenants/:idOrSubdomain/apikeys/:key', {
    config: {scope: 'apikeys:write'},
    schema: {
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key by its prefix or id (anthias apikey revoke)',
      tags: ['apikeys'],
      params: tenantParams.extend({key: z.string()}),
      response: {200: ROUTE_RESULTS.revokeApiKey, ...problems(401, 403, 404, 429)},
    },
  }, async (request) => revokeApiKey(sql, request.params.idOrSubdomain, request.params.key, ctxFor(request.operator)))

  app.get('/v1/tenants/:idOrSubdomain/usage', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'tenantUsage',
      summary: 'Usage against quota (anthias tenant usage)',
      tags: ['tenants'],
      params: tenantParams,
      response: {200: ROUTE_RESULTS.tenantUsage, ...problems(401, 403, 404, 429)},
    },
  }, async (request) => (await usageReports(sql, request.params.idOrSubdomain))[0]!)

  app.post('/v1/tenants/:idOrSubdomain/verify', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'verifyTenant',
      summary: 'The post-provisioning checklist (anthias tenant verify)',
      description: 'Always 200 when it ran: ok says whether every check passed; a failed check names its repair.',
      tags: ['tenants'],
      params: tenantParams,
      response: {200: ROUTE_RESULTS.verifyTenant, ...problems(401, 403, 404, 429)},
    },
  }, async (request) => verifyTenant(sql, request.params.idOrSubdomain, ctxFor(request.operator)))

  app.get('/v1/audit', {
    config: {scope: 'audit:read'},
    schema: {
      operationId: 'listAudit',
      summary: 'The audit trail, newest first (anthias audit list)',
      tags: ['audit'],
      querystring: z.strictObject({
        ...page,
        tenant: z.string().optional().describe('a tenant id, or a subdomain (also of a deleted tenant)'),
        action: z.string().optional().describe('an action, or a prefix ending in *: tenant.*'),
        since: z.string().optional().describe('a date, an ISO time, or a span back from now: 30m, 24h, 7d'),
      }),
      response: {200: ROUTE_RESULTS.listAudit, ...problems(400, 401, 403, 429)},
    },
  }, async (request) => {
    const {since, ...query} = request.query
    return listAudit(sql, {...query, since: since === undefined ? undefined : parseSince(since)})
  })
}
