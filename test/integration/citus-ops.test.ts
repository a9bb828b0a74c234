/**
 * tenant isolate, tenant move and db rebalance (src/lib/db/citus-ops.ts) on a
 * Citus cluster (ANTHIAS_TEST_CITUS_URL, see .ci/citus-cluster): a tenant with
 * rows on a shard of its own, its rows all readable under row-level security
 * and the other tenants' untouched; its shard group on the other worker,
 * written to during the move; a rebalance planned and run; the tenant's query
 * figures in tenant usage. On one server: each refused with CITUS_REQUIRED,
 * nothing changed.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {isolateTenant, moveTenant, parseNodeAddress, rebalance, rebalancePlan, type NodeAddress} from '../../src/lib/db/citus-ops.js'
import {openDatabase} from '../../src/lib/db/connect.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {usageReports} from '../../src/lib/monitoring.js'
import type {Progress} from '../../src/lib/progress.js'
import {createTenant} from '../../src/lib/tenants.js'
import {cli} from '../helpers/cli.js'
import {contractProblems} from '../helpers/contract.js'
import {createTestDatabase, onCitus, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})
const ROWS = 3000
const TENANTS = 12

describe('parseNodeAddress', () => {
  it('takes HOST:PORT and [IPv6]:PORT, refuses anything else as INVALID_INPUT on node', () => {
    expect(parseNodeAddress('10.0.0.12:5432')).toEqual({host: '10.0.0.12', port: 5432})
    expect(parseNodeAddress('worker-2.internal:6432')).toEqual({host: 'worker-2.internal', port: 6432})
    expect(parseNodeAddress('[::1]:5432')).toEqual({host: '::1', port: 5432})
    for (const bad of ['worker', 'worker:', ':5432', 'worker:0', 'worker:70000', 'a b:5432', '::1:5432']) {
      expect(() => parseNodeAddress(bad), bad).toThrow(expect.objectContaining({code: 'INVALID_INPUT', field: 'node'}))
    }
  })
})

describe.skipIf(onCitus())('on one server', () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await createTestDatabase()
    await createTenant(t.sql, {name: 'Solo', subdomain: 'solo'}, ctx)
  })
  afterAll(async () => t?.drop())

  it('isolate, move and rebalance are CITUS_REQUIRED (exit 2), saying what to do, and change nothing', async () => {
    const before = await snapshot(t.sql)
    for (const run of [
      () => isolateTenant(t.sql, 'solo', {}, ctx),
      () => moveTenant(t.sql, 'solo', {node: '127.0.0.1:5432'}, ctx),
      () => rebalance(t.sql, {}, ctx),
      () => rebalance(t.sql, {dryRun: true}, ctx),
    ]) {
      await expect(run()).rejects.toMatchObject({code: 'CITUS_REQUIRED', kind: 'invalid', message: expect.stringContaining('needs a Citus cluster: this database has no citus extension')})
    }
    expect(await snapshot(t.sql)).toEqual(before)
    const env = {DATABASE_URL: t.url}
    for (const [id, args] of [['tenant:isolate', ['tenant', 'isolate', 'solo']], ['tenant:move', ['tenant', 'move', 'solo', '--node', '127.0.0.1:5432']], ['db:rebalance', ['db', 'rebalance', '--dry-run']]] as const) {
      const r = await cli([...args, '--json'], {env})
      expect(r.code, r.stdout).toBe(2)
      expect(contractProblems(id, r.json)).toEqual([])
      expect(r.json?.error).toMatchObject({code: 'CITUS_REQUIRED', suggestions: expect.arrayContaining([expect.stringContaining('Citus cluster')])})
    }
    const human = await cli(['tenant', 'isolate', 'solo'], {env})
    expect(human.code).toBe(2)
    expect(human.stderr).toContain('CITUS_REQUIRED')
    expect(human.stderr).toContain('db status')
    expect(await snapshot(t.sql)).toEqual(before)
  })

  it('tenant usage has no query figures', async () => {
    const [report] = await usageReports(t.sql, 'solo')
    expect(report).not.toHaveProperty('queries')
  })
})

describe.skipIf(!onCitus())('on Citus', () => {
  let t: TestDatabase
  let ids: string[]
  let big: string
  let moved: string
  let workers: NodeAddress[]
  /** what --transfer-mode auto is: block_writes on PostgreSQL 15 (transferModeFor in citus-ops.ts) */
  let auto: string
  let logical: boolean

  /** Each tenant's rows of the data tables, counted as the owner. */
  const rowCounts = async () => Object.fromEntries((await t.sql<{id: string; assets: number; devices: number}[]>`
    select t.id, (select count(*)::int from assets a where a.tenant_id = t.id) as assets, (select count(*)::int from devices d where d.tenant_id = t.id) as devices
    from tenants t`).map((r) => [r.id, {assets: r.assets, devices: r.devices}]))
  /** The shard of tenants holding tenant `id`: its hash range, its node, and how many tenants it holds. */
  const shardOf = async (id: string) => {
    const [row] = await t.sql<{shardId: string; min: number; max: number; port: number}[]>`
      select s.shardid::text as shard_id, s.shardminvalue::int as min, s.shardmaxvalue::int as max, n.nodeport as port
      from pg_dist_shard s join pg_dist_placement p on p.shardid = s.shardid join pg_dist_node n on n.groupid = p.groupid
      where s.shardid = get_shard_id_for_distribution_column('tenants', ${id}::uuid)`
    const [{tenants}] = (await t.sql<{tenants: number}[]>`
      select count(*)::int as tenants from tenants where get_shard_id_for_distribution_column('tenants', id) = ${row!.shardId}::bigint`) as unknown as [{tenants: number}]
    return {...row!, shardId: Number(row!.shardId), tenants}
  }
  const tenantShards = async () => (await t.sql<{n: number}[]>`select count(*)::int as n from pg_dist_shard where logicalrelid = 'tenants'::regclass`)[0]!.n
  /** The node of each of `shards`. */
  const portsOf = async (shards: number[]) => (await t.sql<{port: number}[]>`
    select distinct n.nodeport as port from pg_dist_placement p join pg_dist_node n on n.groupid = p.groupid where p.shardid = any(${shards}::bigint[])`).map((r) => r.port)
  const visibleAs = (id: string) => withTenant(t.sql, id, async (tx) => {
    const [n] = await tx<{assets: number; others: number}[]>`
      select count(*)::int as assets, count(*) filter (where tenant_id <> ${id})::int as others from assets`
    return n!
  })

  beforeAll(async () => {
    t = await createTestDatabase()
    const [{version}] = (await t.sql<{version: number}[]>`select current_setting('server_version_num')::int as version`) as unknown as [{version: number}]
    logical = version >= 160_000
    auto = logical ? 'auto' : 'block_writes'
    workers = await t.sql<NodeAddress[]>`select nodename as host, nodeport as port from pg_dist_node where groupid <> 0 and noderole = 'primary' order by groupid`
    ids = []
    // enough tenants that the big one shares its shard (8 shards) with others
    for (let i = 0; i < TENANTS; i++) {
      const {tenant} = await createTenant(t.sql, {name: `Shard ${i}`, subdomain: `shard-${i}`, maxAssets: ROWS + 100, maxDevices: 10_000}, ctx)
      ids.push(tenant.id)
      await withTenant(t.sql, tenant.id, async (tx) => {
        const rows = Array.from({length: i < 2 ? ROWS : 5}, (_, n) => ({tenantId: tenant.id, name: `Asset ${n}`, uri: `https://example.com/${n}.png`, mimetype: 'image/png'}))
        for (let at = 0; at < rows.length; at += 1000) await tx`insert into assets ${tx(rows.slice(at, at + 1000), 'tenantId', 'name', 'uri', 'mimetype')}`
        await tx`insert into devices (tenant_id, name) values (${tenant.id}, 'Lobby')`
      })
    }
    big = ids[0]!
    moved = ids[1]!
  }, 300_000)
  afterAll(async () => t?.drop())

  it('tenant isolate: the tenant alone in a new shard group on its node, every row readable under RLS, the other tenants untouched', async () => {
    const counts = await rowCounts()
    const before = await shardOf(big)
    const shardsBefore = await tenantShards()
    // 8 shards over the hash space: the tenant's shard is a range, not its value alone
    expect(before.min).toBeLessThan(before.max)
    const result = await isolateTenant(t.sql, 'shard-0', {}, ctx)
    console.log(`tenant isolate: ${ROWS} assets, ${result.durationMs} ms`)
    expect(result).toMatchObject({tenantId: big, subdomain: 'shard-0', isolated: true, previousShardId: before.shardId, node: {port: before.port}, transferMode: auto})
    expect(result.shardId).not.toBe(before.shardId)
    expect(result.shards.map((s) => s.table)).toEqual(expect.arrayContaining(['tenants', 'assets', 'devices', 'memberships', 'qr_contents']))
    expect(result.shards.find((s) => s.table === 'tenants')!.shardId).toBe(result.shardId)
    const after = await shardOf(big)
    expect(after).toMatchObject({shardId: result.shardId, tenants: 1, port: before.port})
    expect(after.min).toBe(after.max)
    // the old shard split in two or three: the tenant's value, and the ranges either side
    expect(await tenantShards()).toBeGreaterThan(shardsBefore)
    expect(await tenantShards()).toBeLessThanOrEqual(shardsBefore + 2)
    expect(await portsOf(result.shards.map((s) => s.shardId))).toEqual([before.port])
    expect(await rowCounts()).toEqual(counts)
    expect(await visibleAs(big)).toEqual({assets: ROWS, others: 0})
    for (const id of ids.slice(2)) expect(await visibleAs(id), id).toEqual({assets: 5, others: 0})
    expect(await visibleAs(moved)).toEqual({assets: ROWS, others: 0})
    const audit = await t.sql`select arguments from audit_log where action = 'tenant.isolate' and tenant_id = ${big}`
    expect(audit).toHaveLength(1)
    expect(audit[0]!.arguments).toMatchObject({shardId: result.shardId, previousShardId: before.shardId, transferMode: auto})
    // again: alone already, nothing done, no audit row
    expect(await isolateTenant(t.sql, big, {}, ctx)).toMatchObject({isolated: false, shardId: result.shardId, durationMs: 0})
    expect(await t.sql`select 1 from audit_log where action = 'tenant.isolate' and tenant_id = ${big}`).toHaveLength(1)
  }, 300_000)

  it('tenant isolate through the CLI: --json as its schema says; force_logical refused on PostgreSQL 15', async () => {
    const env = {DATABASE_URL: t.url}
    const r = await cli(['tenant', 'isolate', 'shard-2', '--json'], {env})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(contractProblems('tenant:isolate', r.json)).toEqual([])
    expect(r.json?.result).toMatchObject({subdomain: 'shard-2', isolated: true, transferMode: auto})
    expect((await shardOf(ids[2]!)).tenants).toBe(1)
    expect(await visibleAs(ids[2]!)).toEqual({assets: 5, others: 0})
    const before = await shardOf(ids[4]!)
    const forced = await cli(['tenant', 'isolate', 'shard-4', '--transfer-mode', 'force_logical', '--json'], {env})
    expect(contractProblems('tenant:isolate', forced.json)).toEqual([])
    if (logical) expect(forced.code).toBe(0)
    else {
      expect(forced.code).toBe(2)
      expect(forced.json?.error).toMatchObject({code: 'CITUS_LOGICAL_UNSUPPORTED', field: '--transfer-mode'})
      expect(await shardOf(ids[4]!)).toEqual(before)
    }
  }, 300_000)

  it('tenant move: the shard group on the other worker, written to meanwhile; refusals change nothing', async () => {
    const before = await shardOf(moved)
    const target = workers.find((w) => w.port !== before.port)!
    const placements = async () => [...await t.sql`select shardid, groupid from pg_dist_placement order by shardid`].map((r) => ({...r}))
    const placed = await placements()
    await expect(moveTenant(t.sql, moved, {node: `${target.host}:1`}, ctx)).rejects.toMatchObject({code: 'CITUS_NODE_NOT_FOUND', kind: 'notFound', field: 'node'})
    await expect(moveTenant(t.sql, moved, {node: `${target.host}:${before.port}`}, ctx)).rejects.toMatchObject({code: 'CITUS_ALREADY_ON_NODE', kind: 'conflict'})
    await expect(moveTenant(t.sql, moved, {node: 'nowhere'}, ctx)).rejects.toMatchObject({code: 'INVALID_INPUT', field: 'node'})
    expect(await placements()).toEqual(placed)

    // writes during the move: they go on (logical replication), or wait for the copy (block_writes), and none is lost
    let moving = true
    let written = 0
    const failures: unknown[] = []
    const writer = (async () => {
      while (moving) {
        try {
          await withTenant(t.sql, moved, (tx) => tx`insert into devices (tenant_id, name) values (${moved}, ${`During ${written}`})`)
          written++
        } catch (error) {
          failures.push(error)
        }
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    })()
    const result = await moveTenant(t.sql, 'shard-1', {node: `${target.host}:${target.port}`}, ctx).finally(() => (moving = false))
    await writer
    console.log(`tenant move: ${ROWS} assets, ${result.durationMs} ms, ${written} devices written meanwhile`)
    expect(failures).toEqual([])
    expect(written).toBeGreaterThan(0)
    expect(result).toMatchObject({tenantId: moved, shardId: before.shardId, from: {port: before.port}, to: target, otherTenants: before.tenants - 1, transferMode: auto})
    expect(await portsOf(result.shards.map((s) => s.shardId))).toEqual([target.port])
    expect(await visibleAs(moved)).toEqual({assets: ROWS, others: 0})
    const [devices] = await withTenant(t.sql, moved, (tx) => tx<{n: number}[]>`select count(*)::int as n from devices`)
    expect(devices!.n).toBe(1 + written)
    const [audit] = await t.sql`select arguments from audit_log where action = 'tenant.move' and tenant_id = ${moved}`
    expect(audit!.arguments).toMatchObject({shardId: result.shardId, from: `127.0.0.1:${before.port}`, to: `${target.host}:${target.port}`, otherTenants: before.tenants - 1})
    await expect(moveTenant(t.sql, moved, {node: `${target.host}:${target.port}`}, ctx)).rejects.toMatchObject({code: 'CITUS_ALREADY_ON_NODE'})
  }, 300_000)

  it('db rebalance: the dry run lists the moves and moves nothing; the run makes them with progress, and leaves nothing to move', async () => {
    const counts = await rowCounts()
    // every shard group on one worker, so that there is something to rebalance
    const [to, away] = workers as [NodeAddress, NodeAddress]
    const groups = await t.sql<{shardId: string}[]>`
      select s.shardid::text as shard_id from pg_dist_shard s join pg_dist_placement p on p.shardid = s.shardid join pg_dist_node n on n.groupid = p.groupid
      where s.logicalrelid = 'tenants'::regclass and n.nodeport = ${away.port}`
    for (const g of groups) await t.sql`select citus_move_shard_placement(${g.shardId}::bigint, ${away.host}, ${away.port}::int, ${to.host}, ${to.port}::int, 'block_writes')`
    const placements = async () => [...await t.sql`select shardid, groupid from pg_dist_placement order by shardid`].map((r) => ({...r}))
    const placed = await placements()

    const plan = await rebalancePlan(t.sql)
    expect(plan.length).toBeGreaterThan(0)
    for (const move of plan) expect(move).toMatchObject({from: {port: to.port}, to: {port: away.port}, tables: expect.arrayContaining(['tenants', 'assets'])})
    const dry = await cli(['db', 'rebalance', '--dry-run', '--json'], {env: {DATABASE_URL: t.url}})
    expect(dry.code, dry.stdout + dry.stderr).toBe(0)
    expect(contractProblems('db:rebalance', dry.json)).toEqual([])
    expect(dry.json?.result).toEqual({dryRun: true, jobId: null, state: null, moves: plan, durationMs: 0})
    expect(await placements()).toEqual(placed)

    const progress: Progress[] = []
    const result = await rebalance(t.sql, {onProgress: (p) => progress.push(p), pollMs: 250}, ctx)
    console.log(`db rebalance: ${result.moves.length} shard groups, ${result.durationMs} ms`)
    expect(result).toMatchObject({dryRun: false, state: 'finished', jobId: expect.any(Number), moves: plan})
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.every((p) => p.phase === 'rebalance')).toBe(true)
    const last = progress.at(-1)!
    expect(last.rows).toBe(last.totalRows)
    expect(last.rows).toBeGreaterThan(0)
    expect(await rebalancePlan(t.sql)).toEqual([])
    const [nodes] = await t.sql<{n: number}[]>`
      select count(distinct p.groupid)::int as n from pg_dist_shard s join pg_dist_placement p on p.shardid = s.shardid where s.logicalrelid = 'tenants'::regclass`
    expect(nodes!.n).toBe(2)
    expect(await rowCounts()).toEqual(counts)
    for (const id of ids) expect((await visibleAs(id)).others).toBe(0)
    expect((await t.sql`select arguments from audit_log where action = 'db.rebalance'`).map((r) => r.arguments)).toEqual([{jobId: result.jobId, moves: plan.length, transferMode: auto}])
    // balanced: nothing to do, no job
    expect(await rebalance(t.sql, {}, ctx)).toMatchObject({jobId: null, state: null, moves: []})
  }, 600_000)

  it("tenant usage: the tenant's queries and CPU time where citus.stat_tenants_track is on, absent where off", async () => {
    const [off] = await usageReports(t.sql, 'shard-3')
    expect(off).not.toHaveProperty('queries')
    // for this database (Citus passes it on to the workers): new sessions track
    await t.sql.unsafe(`alter database ${t.name} set citus.stat_tenants_track = 'all'`)
    const db = await openDatabase({databaseUrl: t.url, dataDir: '/nonexistent', migrate: false})
    try {
      const id = ids[3]!
      for (let i = 0; i < 3; i++) await withTenant(db.sql, id, (tx) => tx`select count(*) from assets where tenant_id = ${id}`)
      const [on] = await usageReports(db.sql, 'shard-3')
      expect(on!.queries).toMatchObject({periodSeconds: expect.any(Number), thisPeriod: {queries: expect.any(Number), cpuSeconds: expect.any(Number)}})
      // the period may have turned meanwhile
      expect(on!.queries!.thisPeriod.queries + on!.queries!.lastPeriod.queries).toBeGreaterThanOrEqual(3)
      const r = await cli(['tenant', 'usage', 'shard-3', '--json'], {env: {DATABASE_URL: t.url}})
      expect(contractProblems('tenant:usage', r.json)).toEqual([])
      expect(r.json?.result).toHaveProperty('queries')
    } finally {
      await db.close()
    }
  }, 120_000)
})
