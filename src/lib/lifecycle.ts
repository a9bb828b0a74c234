import type {Sql} from 'postgres'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {lockTenant} from './tenant-ref.js'
import type {TenantStatus} from './tenant-list.js'

/** Suspend or resume a tenant: the status only, nothing deleted. */
export async function setTenantStatus(sql: Sql, tenantRef: string, status: TenantStatus, ctx: Context): Promise<{subdomain: string; before: TenantStatus; after: TenantStatus}> {
  return sql.begin(async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    if (tenant.status !== status) {
      await tx`update tenants set status = ${status}, updated_at = now() where id = ${tenant.id}`
      await writeAudit(tx, {actor: ctx.actor, action: status === 'suspended' ? 'tenant.suspend' : 'tenant.resume', tenantId: tenant.id, subject: tenant.subdomain})
    }
    return {subdomain: tenant.subdomain, before: tenant.status, after: status}
  }) as Promise<{subdomain: string; before: TenantStatus; after: TenantStatus}>
}
