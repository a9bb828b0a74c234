import type {Sql} from 'postgres'

import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {createTenant} from '../../src/lib/tenants.js'

/**
 * Tenants tenant-a and tenant-b, each with an owner and, written in its own
 * context, an asset, a device and a QR content: what the row-level security
 * probes look for. Returns their ids.
 */
export async function twoTenantsWithData(sql: Sql): Promise<[string, string]> {
  const ctx = resolveContext({actor: 'test'})
  const ids: string[] = []
  for (const x of ['a', 'b']) {
    const id = (await createTenant(sql, {name: `Tenant ${x.toUpperCase()}`, subdomain: `tenant-${x}`, ownerEmail: `owner@${x}.example.com`}, ctx)).tenant.id
    await withTenant(sql, id, async (tx) => {
      const [asset] = await tx`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'Welcome', 'welcome.html', 'text/html') returning id`
      await tx`insert into devices (tenant_id, name) values (${id}, 'Lobby screen')`
      await tx`insert into qr_contents (tenant_id, name, content, asset_id) values (${id}, 'Menu', 'https://example.com', ${asset!.id})`
    })
    ids.push(id)
  }
  return ids as [string, string]
}
