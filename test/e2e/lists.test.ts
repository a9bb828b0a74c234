import {spawn} from 'node:child_process'

import {parse} from 'csv-parse/sync'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {envelopeSchema} from '../../src/lib/index.js'
import {BIN, cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'
import {Terminal} from '../helpers/tmux.js'

interface Listed {items: {id: string; subdomain: string}[]; nextCursor: string | null; total?: number}

describe('lists page with a stable cursor and never drop rows silently (issue 12)', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  const N = 1234
  const addTenants = (from: number, to: number) => t.sql`
    insert into tenants (name, subdomain, plan_id, max_assets, max_users, max_devices, storage_quota_gb, password_policy, created_at)
    select 'List Co ' || g, 'list-' || g, p.id, p.max_assets, p.max_users, p.max_devices, p.storage_quota_gb, '{}', now() - (g % 50) * interval '1 minute'
    from generate_series(${from}::int, ${to}::int) g join plans p on p.position = 1 + g % 3`
  const list = async (args: string[]) => {
    const result = await cli(['tenant', 'list', ...args, '--json'], {env})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    return result.json!.result as Listed
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', CI: '1', ANTHIAS_ACTOR: 'tester'}
    await addTenants(1, N)
    await t.sql`insert into audit_log (actor, action, subject, outcome) select 'bench', 'tenant.update', 'list-' || g, 'success' from generate_series(1, 250) g`
  })
  afterAll(async () => t?.drop())

  it('tenant list: 100 by default with total and nextCursor; pages via --after equal --all, in every sort, with rows inserted between pages', async () => {
    const first = await list([])
    expect(first.items).toHaveLength(100)
    expect(first.total).toBe(N)
    expect(first.nextCursor).toEqual(expect.any(String))

    const all = await list(['--all', '--limit', '500'])
    expect(all.nextCursor).toBeNull()
    expect(all.total).toBe(N)
    expect(new Set(all.items.map((i) => i.id)).size).toBe(N)

    for (const sort of ['subdomain', '-created', 'name']) {
      const seen: string[] = []
      let after: string | null = null
      let pages = 0
      do {
        const page: Listed = await list(['--sort', sort, '--limit', '400', ...(after ? ['--after', after] : [])])
        seen.push(...page.items.map((i) => i.id))
        after = page.nextCursor
        pages++
      } while (after !== null)
      expect(pages).toBe(4)
      expect(seen).toEqual((await list(['--sort', sort, '--all', '--limit', '1000'])).items.map((i) => i.id))
    }

    // rows inserted between pages: no row repeats, and no row there before is skipped
    const page1 = await list(['--limit', '600'])
    await addTenants(N + 1, N + 20)
    try {
      const page2 = await list(['--limit', '600', '--after', page1.nextCursor!])
      const ids = [...page1.items, ...page2.items].map((i) => i.subdomain)
      expect(new Set(ids).size).toBe(ids.length)
      const old = (s: string) => Number(s.slice(5)) <= N
      const now = (await list(['--all', '--limit', '2000'])).items.map((i) => i.subdomain)
      expect(ids.filter(old)).toEqual(now.filter(old).slice(0, ids.filter(old).length))
    } finally {
      await t.sql`delete from tenants where subdomain ~ '^list-' and substr(subdomain, 6)::int > ${N}`
    }
  }, 240_000)

  it('refuses a tampered cursor, a cursor of another sort, and unknown plans, statuses, sorts and columns (exit 2)', async () => {
    const page = await list(['--limit', '5'])
    const cases: [string[], string, string][] = [
      [['--after', page.nextCursor!.slice(0, -3) + 'xyz'], 'CURSOR_INVALID', '--after'],
      [['--after', 'not a cursor!'], 'CURSOR_INVALID', '--after'],
      [['--after', Buffer.from(JSON.stringify({s: 'subdomain', k: [1]})).toString('base64url')], 'CURSOR_INVALID', '--after'],
      [['--after', page.nextCursor!, '--sort', 'name'], 'CURSOR_INVALID', '--after'],
      [['--plan', 'gold'], 'PLAN_UNKNOWN', '--plan'],
      [['--status', 'deleted'], 'STATUS_UNKNOWN', '--status'],
      [['--sort', 'price'], 'SORT_UNKNOWN', '--sort'],
      [['--columns', 'subdomain,price'], 'COLUMN_UNKNOWN', '--columns'],
    ]
    for (const [args, code, field] of cases) {
      const result = await cli(['tenant', 'list', ...args, '--json'], {env})
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.json!.error).toMatchObject({code, field})
    }
    const gold = await cli(['tenant', 'list', '--plan', 'gold'], {env})
    expect(gold.code).toBe(2)
    expect(gold.stderr).toContain('basic')
    const action = await cli(['audit', 'list', '--action', 'tenant;drop', '--json'], {env})
    expect(action.json!.error).toMatchObject({code: 'ACTION_INVALID', field: '--action'})
  })

  it('piped: one line per row, and a line on stderr telling how many more and how to see them', async () => {
    await t.sql`update tenants set name = 'Long ' || repeat('x', 70) where subdomain = 'list-1'`
    const result = await cli(['tenant', 'list', '--limit', '50'], {env})
    expect(result.code).toBe(0)
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(51)
    expect(result.stdout).toContain('Long ' + 'x'.repeat(70))
    expect(result.stderr).toMatch(new RegExp(`Showing 50 of ${N.toLocaleString('en-US')}; next page: anthias tenant list --limit 50 --after [\\w-]+ \\(or --all\\)`))
    const next = result.stderr.match(/--after ([\w-]+)/)![1]!
    expect((await cli(['tenant', 'list', '--limit', '50', '--after', next, '--no-header'], {env})).stdout.split('\n')[0]).toMatch(/^list-1043 /)
  })

  it('--csv parses back to the rows (formula cells defused); --no-header; --all streams every row', async () => {
    await t.sql`update tenants set name = '=HYPERLINK("x", "y"), ok' where subdomain = 'list-2'`
    const result = await cli(['tenant', 'list', '--csv', '--all', '--limit', '300', '--columns', 'id,subdomain,name'], {env})
    expect(result.code).toBe(0)
    const rows = parse(result.stdout, {columns: true}) as {id: string; subdomain: string; name: string}[]
    expect(rows).toHaveLength(N)
    const json = await list(['--all', '--limit', '1000'])
    expect(rows.map((r) => r.id)).toEqual(json.items.map((i) => i.id))
    expect(rows.find((r) => r.subdomain === 'list-2')!.name).toBe(`'=HYPERLINK("x", "y"), ok`)
    const bare = await cli(['tenant', 'list', '--csv', '--no-header', '--limit', '3', '--columns', 'subdomain'], {env})
    expect(bare.stdout).toBe('list-1\nlist-10\nlist-100\n')
  })

  it('--all: every page lines up with the first (the widths of the first page kept)', async () => {
    await t.sql`insert into tenants (name, subdomain, plan_id, max_assets, max_users, max_devices, storage_quota_gb, password_policy)
      select n, s, p.id, p.max_assets, p.max_users, p.max_devices, p.storage_quota_gb, '{}'
      from (values ('Wide ' || repeat('w', 30), 'wide-a'), ('B', 'wide-b'), ('C', 'wide-c')) v(n, s) join plans p on p.position = 1`
    try {
      const result = await cli(['tenant', 'list', '--search', 'wide-', '--all', '--limit', '1', '--columns', 'name,subdomain,plan'], {env})
      expect(result.code, result.stderr).toBe(0)
      const lines = result.stdout.trimEnd().split('\n')
      expect(lines).toHaveLength(4)
      expect(lines.map((l) => l.search(/wide-|subdomain/))).toEqual([37, 37, 37, 37])
      expect(new Set(lines.map((l) => l.search(/basic|plan/))).size).toBe(1)
    } finally {
      // the other tests count the tenants and run in any order
      await t.sql`delete from tenants where subdomain like 'wide-%'`
    }
  })

  it('audit list: newest first, pages via --after equal --all; total with --tenant only', async () => {
    // the 250 rows of beforeAll (other tests add rows of other actions: audit_log is append-only)
    const audit = async (args: string[]) => (await cli(['audit', 'list', '--action', 'tenant.update', ...args, '--json'], {env})).json!.result as {items: {id: string}[]; nextCursor: string | null; total?: number}
    const first = await audit(['--limit', '100'])
    expect(first.items).toHaveLength(100)
    expect(first.total).toBeUndefined()
    const second = await audit(['--limit', '100', '--after', first.nextCursor!])
    const third = await audit(['--limit', '100', '--after', second.nextCursor!])
    expect(third.nextCursor).toBeNull()
    const ids = [...first.items, ...second.items, ...third.items].map((r) => r.id)
    expect(ids).toEqual((await audit(['--all', '--limit', '64'])).items.map((r) => r.id))
    expect(ids).toEqual([...ids].sort((a, b) => Number(b) - Number(a)))
    expect(await audit(['--tenant', 'list-7'])).toMatchObject({total: 1, nextCursor: null})
    const tampered = await cli(['audit', 'list', '--after', Buffer.from(JSON.stringify({s: '-id', k: ['1; drop']})).toString('base64url'), '--json'], {env})
    expect(tampered.json!.error).toMatchObject({code: 'CURSOR_INVALID', field: '--after'})
  })

  it('user list and apikey list: the same pages, cursor and total', async () => {
    await t.sql`insert into users (email) select 'member' || g || '@list.example.com' from generate_series(1, 7) g`
    await t.sql`insert into memberships (tenant_id, user_id, role, status)
      select (select id from tenants where subdomain = 'list-3'), u.id, (array['owner', 'admin', 'editor', 'viewer'])[1 + substr(u.email, 7, 1)::int % 4], 'active'
      from users u where u.email like '%@list.example.com'`
    await t.sql`insert into api_keys (tenant_id, name, prefix, key_hash, permissions, created_by, created_at)
      select (select id from tenants where subdomain = 'list-3'), 'key ' || g, 'ak_' || g, 'x', '{assets.read}', 'tester', now() - (g % 2) * interval '1 hour'
      from generate_series(1, 5) g`
    for (const [command, key, n] of [['user', 'email', 7], ['apikey', 'id', 5]] as const) {
      const run = async (args: string[]) => (await cli([command, 'list', 'list-3', ...args, '--json'], {env})).json!.result as {items: Record<string, string>[]; nextCursor: string | null; total: number}
      const seen: string[] = []
      let page = await run(['--limit', '2'])
      expect(page.total).toBe(n)
      seen.push(...page.items.map((i) => i[key]!))
      while (page.nextCursor !== null) {
        page = await run(['--limit', '2', '--after', page.nextCursor])
        seen.push(...page.items.map((i) => i[key]!))
      }
      expect(seen).toEqual((await run(['--all'])).items.map((i) => i[key]))
      expect(new Set(seen).size).toBe(n)
      const bad = await cli([command, 'list', 'list-3', '--after', 'eyJzIjoieCJ9', '--json'], {env})
      expect(bad.json!.error).toMatchObject({code: 'CURSOR_INVALID', field: '--after'})
    }
  })

  it('--all --json: a page that fails after others were written still ends one whole document, with the error and the cursor to resume', async () => {
    await t.sql`insert into audit_log (actor, action, subject, outcome) select 'bench', 'tenant.suspend', 'stream-' || g || repeat('s', 100), 'success' from generate_series(1, 12000) g`
    const child = spawn(process.execPath, [BIN, 'audit', 'list', '--all', '--limit', '5000', '--json'], {env: {...process.env, NO_COLOR: '1', ...env}})
    child.stdin.end()
    let stdout = ''
    child.stdout.setEncoding('utf8')
    // the document begins once the first page is read; its 5,000 items (600 kB) fill the pipe, so the
    // command waits to write them, the next page not asked for, until this reads on
    const begun = new Promise<void>((resolve) => child.stdout.once('data', (chunk: string) => {
      stdout += chunk
      child.stdout.pause()
      resolve()
    }))
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)))
    await begun
    await t.sql`alter table audit_log rename to audit_log_away`
    try {
      child.stdout.on('data', (chunk: string) => (stdout += chunk))
      child.stdout.resume()
      const code = await exited
      const doc = envelopeSchema.parse(JSON.parse(stdout))
      expect(doc).toMatchObject({status: code, error: {code: expect.any(String)}})
      expect(code).toBe(1)
      const result = (doc as {result: {items: {id: string}[]; nextCursor: string | null}}).result
      expect(result.items.length % 5000).toBe(0)
      expect(result.items.length).toBeGreaterThan(0)
      expect(result.nextCursor).not.toBeNull()
    } finally {
      await t.sql`alter table audit_log_away rename to audit_log`
    }
  }, 60_000)

  it.runIf(Terminal.available())('in a terminal: the table fits 80 columns, long cells cut with …', async () => {
    const term = new Terminal(['tenant', 'list', '--limit', '5', '--columns', 'subdomain,name,url,id'], {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: ''})
    try {
      const screen = await term.waitFor('EXIT=0')
      const lines = screen.split('\n').filter((l) => l.startsWith('list-'))
      expect(lines).toHaveLength(5)
      for (const line of lines) expect(line.trimEnd().length).toBeLessThanOrEqual(80)
      expect(screen).toContain('…')
      expect(screen).toMatch(/Showing 5 of [\d,]+; next page: anthias tenant list/)
    } finally {
      term.close()
    }
  })
})
