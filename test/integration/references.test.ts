/**
 * The links between a tenant's rows that go when what they point at goes: an
 * asset's creator when the member is removed, a QR content's asset when the
 * asset is deleted (triggers since 0011, where Citus refuses ON DELETE SET
 * NULL on keys with tenant_id; on one server and on Citus alike).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {inviteUser, removeMember} from '../../src/lib/members.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'
import {twoTenantsWithData} from '../helpers/tenants.js'

const ctx = resolveContext({actor: 'test'})

describe('references cleared when their target goes', () => {
  let t: TestDatabase
  let a: string

  beforeAll(async () => {
    t = await createTestDatabase()
    ;[a] = await twoTenantsWithData(t.sql)
  })

  afterAll(async () => t?.drop())

  it('removing a member clears created_by of the assets they created, and nothing else', async () => {
    await inviteUser(t.sql, 'tenant-a', {email: 'maker@a.example.com', role: 'editor'}, ctx)
    const [maker] = await t.sql<{id: string}[]>`select id from users where email = 'maker@a.example.com'`
    const [owner] = await t.sql<{id: string}[]>`select id from users where email = 'owner@a.example.com'`
    await withTenant(t.sql, a, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype, created_by) values
      (${a}, 'By maker', 'm.html', 'text/html', ${maker!.id}), (${a}, 'By owner', 'o.html', 'text/html', ${owner!.id})`)
    await removeMember(t.sql, 'tenant-a', 'maker@a.example.com', ctx)
    const rows = await t.sql<{name: string; createdBy: string | null}[]>`select name, created_by from assets where tenant_id = ${a} and name like 'By %' order by name`
    expect(rows).toEqual([{name: 'By maker', createdBy: null}, {name: 'By owner', createdBy: owner!.id}])
  })

  it('deleting an asset clears asset_id of the QR contents that showed it', async () => {
    await withTenant(t.sql, a, (tx) => tx`delete from assets where name = 'Welcome'`)
    expect(await t.sql`select name, asset_id from qr_contents where tenant_id = ${a}`).toEqual([{name: 'Menu', assetId: null}])
  })
})
