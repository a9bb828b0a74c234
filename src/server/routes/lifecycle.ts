import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {FastifyInstance} from 'fastify'
import type {ZodTypeProvider} from 'fastify-type-provider-zod'
import {z} from 'zod'

import {defaultBackupPath, newBackupFile} from '../../backup-files.js'
import {setTenantStatus} from '../../lib/lifecycle.js'
import {changeTenantPlan, planChangeInputSchema} from '../../lib/plan-change.js'
import {securityChangeSchema, updateSecurity} from '../../lib/security.js'
import {deleteTenant} from '../../lib/tenant-delete.js'
import {findTenant} from '../../lib/tenant-ref.js'
import type {TenantStatus} from '../../lib/tenants.js'
import type {RouteDeps} from '../app.js'
import {problems} from '../responses.js'
import {ROUTE_RESULTS} from '../results.js'
import {idempotencyHeader, tenantParams} from './tenants.js'

/** Plan, security policy, suspend and resume, delete: the tenant commands that change one thing of a tenant. */
export function lifecycleRoutes(parent: FastifyInstance, {sql, ctxFor, backupDir}: RouteDeps): void {
  const app = parent.withTypeProvider<ZodTypeProvider>()

  app.post('/v1/tenants/:idOrSubdomain/plan', {
    config: {scope: 'tenants:write'},
    schema: {
      operationId: 'changeTenantPlan',
      summary: 'Upgrade or downgrade (anthias tenant plan)',
      description: 'Refused below current usage (LIMIT_BELOW_USAGE) or when a feature in use goes away (FEATURE_IN_USE), unless force; dryRun computes it all and changes nothing.',
      tags: ['tenants'],
      params: tenantParams,
      headers: idempotencyHeader,
      body: planChangeInputSchema,
      response: {200: ROUTE_RESULTS.changeTenantPlan, ...problems(400, 401, 403, 404, 409, 422, 429)},
    },
  }, async (request) => changeTenantPlan(sql, request.params.idOrSubdomain, request.body, ctxFor(request.operator)))

  app.post('/v1/tenants/:idOrSubdomain/security', {
    config: {scope: 'tenants:write'},
    schema: {
      operationId: 'updateTenantSecurity',
      summary: "Change the tenant's security policy (anthias tenant security)",
      description: '2FA, session timeout, password policy; allowIps / removeIps / clearIps change the allowed IP ranges.',
      tags: ['tenants'],
      params: tenantParams,
      headers: idempotencyHeader,
      body: securityChangeSchema.strict(),
      response: {200: ROUTE_RESULTS.updateTenantSecurity, ...problems(400, 401, 403, 404, 422, 429)},
    },
  }, async (request) => updateSecurity(sql, request.params.idOrSubdomain, request.body, ctxFor(request.operator)))

  for (const [action, status] of [['suspend', 'suspended'], ['resume', 'active']] as const satisfies [string, TenantStatus][]) {
    app.post(`/v1/tenants/:idOrSubdomain/${action}`, {
      config: {scope: 'tenants:write'},
      schema: {
        operationId: `${action}Tenant`,
        summary: `${action === 'suspend' ? 'Suspend' : 'Resume'} a tenant (anthias tenant ${action})`,
        description: 'Sets the status, deletes nothing; a tenant already so is left as it is (before equals after).',
        tags: ['tenants'],
        params: tenantParams,
        headers: idempotencyHeader,
        response: {200: ROUTE_RESULTS[`${action}Tenant`], ...problems(401, 403, 404, 422, 429)},
      },
    }, async (request) => setTenantStatus(sql, request.params.idOrSubdomain, status, ctxFor(request.operator)))
  }

  app.delete('/v1/tenants/:idOrSubdomain', {
    config: {scope: 'tenants:delete'},
    schema: {
      operationId: 'deleteTenant',
      summary: 'Delete a tenant and all its rows (anthias tenant delete)',
      description: "confirmName must be the tenant's exact name (CONFIRMATION_REQUIRED, CONFIRMATION_MISMATCH otherwise). A verified backup of exactly the rows deleted is written first, on the server, in its backup directory (anthias serve --backup-dir); its path is in the result.",
      tags: ['tenants'],
      params: tenantParams,
      querystring: z.strictObject({confirmName: z.string().optional().describe("the tenant's exact name")}),
      response: {200: ROUTE_RESULTS.deleteTenant, ...problems(400, 401, 403, 404, 429)},
    },
  }, async (request) => {
    const tenant = await findTenant(sql, request.params.idOrSubdomain)
    await mkdir(backupDir, {recursive: true, mode: 0o700})
    const path = join(backupDir, defaultBackupPath(tenant.subdomain))
    return deleteTenant(sql, tenant.id, request.query.confirmName, ctxFor(request.operator), {backup: () => newBackupFile(path)})
  })
}
