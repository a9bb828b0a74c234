// tenant list and audit list on 100,000 tenants and 1,000,000 audit rows: the first page and a
// page deep in the list (through its cursor), against a bare `select ... limit 100` on the same table.
//   node bench/lists.js [TENANTS] [AUDIT_ROWS]
import {listAudit} from '../dist/lib/audit.js'
import {listTenants} from '../dist/lib/tenants.js'
import {freshDatabase, ratio} from './lib.js'

const tenants = Number(process.argv[2] ?? 100_000)
const auditRows = Number(process.argv[3] ?? 1_000_000)
const LIMIT = 100
const PAGE = 5
const WITH_TOTAL = 20
const ms = (n) => `${n.toFixed(1)} ms`
/** the best of 5 runs, in ms */
const time = async (fn) => {
  let best = Infinity
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    await fn()
    best = Math.min(best, performance.now() - started)
  }
  return best
}

const db = await freshDatabase('lists')
try {
  const {sql} = db
  await sql`
    insert into tenants (name, subdomain, plan_id, max_assets, max_users, max_devices, storage_quota_gb, password_policy, created_at)
    select 'Bench Tenant ' || g, 'bench-' || g, p.id, p.max_assets, p.max_users, p.max_devices, p.storage_quota_gb, '{}', now() - g * interval '1 second'
    from generate_series(1, ${tenants}::int) g join plans p on p.position = 1 + g % 3`
  await sql`
    insert into audit_log (tenant_id, actor, action, subject, arguments, outcome)
    select t.id, 'bench', 'tenant.update', t.subdomain, '{}', 'success'
    from generate_series(1, ${auditRows}::int) g join tenants t on t.subdomain = 'bench-' || (1 + g % ${tenants}::int)`
  await sql`vacuum analyze`

  // a cursor about 90% of the way into each list: pages from there cost what the first one does
  const deep = async (list, pages) => {
    let after
    for (let i = 0; i < pages; i++) after = (await list(after, 10_000)).nextCursor
    return after
  }
  const tenantPage = (after, limit = LIMIT, sort) => listTenants(sql, {limit, after, sort, withTotal: after === undefined}, 'anthias.app')
  const auditPage = (after, limit = LIMIT) => listAudit(sql, {limit, after})

  const tenantFloor = await time(() => sql`select id, name, subdomain, plan_id, status, custom_domain, created_at from tenants limit ${LIMIT}`)
  const auditFloor = await time(() => sql`select * from audit_log limit ${LIMIT}`)
  const tenantDeep = await deep(tenantPage, Math.floor((tenants * 0.9) / 10_000))
  const createdDeep = await deep((after, limit) => tenantPage(after, limit, '-created'), Math.floor((tenants * 0.9) / 10_000))
  const auditDeep = await deep(auditPage, Math.floor((auditRows * 0.9) / 10_000))
  const rows = [
    // a page with its total also counts the filtered list; a page without costs what the bare select does
    ['tenant list, first page (with total)', await time(() => tenantPage(undefined)), tenantFloor, WITH_TOTAL],
    ['tenant list, page at 90% (cursor)', await time(() => tenantPage(tenantDeep)), tenantFloor, PAGE],
    ['tenant list --sort -created, page at 90%', await time(() => tenantPage(createdDeep, LIMIT, '-created')), tenantFloor, PAGE],
    ['audit list, first page', await time(() => auditPage(undefined)), auditFloor, PAGE],
    ['audit list, page at 90% (cursor)', await time(() => auditPage(auditDeep)), auditFloor, PAGE],
    ['audit list --tenant, first page (with total)', await time(() => listAudit(sql, {limit: LIMIT, tenant: 'bench-7'})), auditFloor, WITH_TOTAL],
  ]
  console.log(`tenant list and audit list: ${tenants} tenants, ${auditRows} audit rows, pages of ${LIMIT} (best of 5)`)
  for (const [label, t, floor, target] of rows) {
    console.log(`  ${label.padEnd(46)} ${ms(t).padStart(9)}  vs bare select limit ${LIMIT} ${ms(floor)}`)
    ratio(label, t, floor, target)
  }
} finally {
  await db.drop()
}
