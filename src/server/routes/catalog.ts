import type {FastifyInstance} from 'fastify'
import type {ZodTypeProvider} from 'fastify-type-provider-zod'
import {z} from 'zod'

import {getPlan, listPlans} from '../../lib/plans.js'
import {checkSubdomain, suggestSubdomains} from '../../lib/subdomains.js'
import type {RouteDeps} from '../app.js'
import {problems} from '../responses.js'
import {ROUTE_RESULTS} from '../results.js'

/** Subdomain check and suggestions, the plan catalog: reads a signup form makes before it creates. */
export function catalogRoutes(parent: FastifyInstance, {sql}: RouteDeps): void {
  const app = parent.withTypeProvider<ZodTypeProvider>()

  app.get('/v1/subdomains/:subdomain', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'checkSubdomain',
      summary: 'Is this subdomain free? (anthias subdomain check)',
      description: 'Always 200: `status` says available, taken, reserved or invalid, with the reason and free alternatives.',
      tags: ['subdomains'],
      params: z.strictObject({subdomain: z.string()}),
      response: {200: ROUTE_RESULTS.checkSubdomain, ...problems(401, 403, 429)},
    },
  }, async (request) => checkSubdomain(sql, request.params.subdomain))

  app.get('/v1/subdomain-suggestions', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'suggestSubdomains',
      summary: 'Free subdomains derived from a name (anthias subdomain suggest)',
      tags: ['subdomains'],
      querystring: z.strictObject({text: z.string().min(1).describe('a name, such as the organization\'s'), count: z.coerce.number().int().min(1).max(20).default(5)}),
      response: {200: ROUTE_RESULTS.suggestSubdomains, ...problems(400, 401, 403, 429)},
    },
  }, async (request) => ({text: request.query.text, suggestions: await suggestSubdomains(sql, request.query.text, request.query.count)}))

  app.get('/v1/plans', {
    config: {scope: 'tenants:read'},
    schema: {operationId: 'listPlans', summary: 'The plan catalog (anthias plan list)', tags: ['plans'], response: {200: ROUTE_RESULTS.listPlans, ...problems(401, 403, 429)}},
  }, async () => listPlans(sql))

  app.get('/v1/plans/:plan', {
    config: {scope: 'tenants:read'},
    schema: {
      operationId: 'getPlan',
      summary: 'One plan (anthias plan show)',
      tags: ['plans'],
      params: z.strictObject({plan: z.string()}),
      response: {200: ROUTE_RESULTS.getPlan, ...problems(401, 403, 404, 429)},
    },
  }, async (request) => getPlan(sql, request.params.plan))
}
