import {createReadStream} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {provisionFromSource, validateSource} from '../../src/lib/bulk/provision.js'
import {streamInput} from '../../src/lib/input.js'
import {loadCatalog} from '../../src/lib/plans.js'
import {fileInput} from '../../src/inputs.js'
import {configSource, csvSource} from '../../src/lib/bulk/sources.js'
import {resolveContext} from '../../src/lib/context.js'
import {ReportFile} from '../../src/ui/bulk.js'
import {createTenant, getTenant} from '../../src/lib/tenants.js'
import {openDatabase} from '../../src/lib/db/connect.js'
import {createTestDatabase, onCitus, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'}, {ANTHIAS_BASE_DOMAIN: 'anthias.app'})

const GUIDE_CONFIG = [
  {
    tenant: {name: 'Acme Corporation', subdomain: 'acme-corp', plan_type: 'professional', contact_email: 'billing@acme.com', max_assets: 750, max_users: 40},
    users: [{email: 'admin@acme.com', role: 'owner'}, {email: 'manager@acme.com', role: 'admin'}],
    features: {analytics_dashboard: true, api_access: true, custom_branding: false},
    settings: {theme: 'corporate', timezone: 'America/New_York', notifications: {email: true, in_app: true}},
  },
]

describe('bulk provisioning', () => {
  let t: TestDatabase
  let dir: string
  const file = async (name: string, text: string, encoding: BufferEncoding = 'utf8') => {
    const path = join(dir, name)
    await writeFile(path, text, encoding)
    return path
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-bulk-'))
    await createTenant(t.sql, {name: 'Existing', subdomain: 'existing-co', customDomain: 'signage.existing.com'}, ctx)
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('gives every owner a membership: a user shared by rows of one batch, of batches written at once, and one that exists already', async () => {
    await createTenant(t.sql, {name: 'Shared First', subdomain: 'shared-first', ownerEmail: 'Shared.Owner@example.com'}, ctx)
    const path = await file('shared-owners.csv', ['name,subdomain,owner_email', ...Array.from({length: 9}, (_, i) => `Shared ${i},shared-${i},${i % 2 ? 'shared.owner@example.com' : 'Other.Owner@Example.com'}`)].join('\n'))
    const report = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx, {batchSize: 3, concurrency: 3})
    expect(report).toMatchObject({created: 9, failed: 0, invitations: 9})
    const owners = await t.sql<{subdomain: string; email: string}[]>`
      select t.subdomain, u.email from tenants t join memberships m on m.tenant_id = t.id and m.role = 'owner' join users u on u.id = m.user_id
      where t.subdomain like 'shared-%' and t.subdomain <> 'shared-first' order by t.subdomain`
    expect(owners.map((o) => [o.subdomain, o.email.toLowerCase()])).toEqual(Array.from({length: 9}, (_, i) => [`shared-${i}`, i % 2 ? 'shared.owner@example.com' : 'other.owner@example.com']))
    expect((await t.sql<{n: number}[]>`select count(*)::int as n from users where lower(email) in ('shared.owner@example.com', 'other.owner@example.com')`)[0]!.n).toBe(2)
  })

  it('writes a tenant as tenant create does: the same row, overrides and audit arguments', async () => {
    const spec = {
      name: 'Same Path', plan: 'enterprise', contactEmail: 'billing@same.example.com', maxAssets: 900, customDomain: 'signage.same.example.com',
      features: {analytics_dashboard: true, custom_branding: false}, settings: {timezone: 'Europe/Paris'},
      enable2fa: true, sessionTimeoutMinutes: 240, allowedIpRanges: ['192.168.1.0/24', '10.0.0.0/8'],
    }
    await createTenant(t.sql, {...spec, subdomain: 'same-path-a'}, ctx)
    const path = await file('same-path.csv', [
      'name,subdomain,plan,contact_email,max_assets,custom_domain,features,timezone,enable_2fa,session_timeout_minutes,allowed_ip_ranges',
      'Same Path,same-path-b,enterprise,billing@same.example.com,900,signage.same2.example.com,analytics_dashboard;custom_branding=false,Europe/Paris,true,240,192.168.1.0/24;10.0.0.0/8',
    ].join('\n'))
    expect(await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx)).toMatchObject({created: 1, failed: 0})
    const written = async (subdomain: string) => {
      const [row] = await t.sql`
        select t.id, to_jsonb(t) - 'id' - 'subdomain' - 'custom_domain' - 'spec_sha256' - 'created_at' - 'updated_at' as tenant,
          (select jsonb_object_agg(f.feature, f.enabled) from tenant_features f where f.tenant_id = t.id) as features
        from tenants t where t.subdomain = ${subdomain}`
      // the audit trail in a query of its own: on Citus it stays on the coordinator, and a local table cannot join a distributed one
      const [audit] = await t.sql`
        select arguments - 'subdomain' - 'customDomain' - 'members' - 'runId' as audit from audit_log where tenant_id = ${row!.id} and action = 'tenant.create'`
      const {id: _id, ...rest} = row!
      return {...rest, audit: audit!.audit}
    }
    const single = await written('same-path-a')
    expect(single!.audit).toMatchObject({plan: 'enterprise', limits: {maxAssets: 900}, security: {enable2fa: true, sessionTimeoutMinutes: 240}})
    expect(await written('same-path-b')).toEqual(single)
  })

  it("provisions the guide's JSON config exactly as described, and a re-run reports it unchanged", async () => {
    const path = await file('guide.json', JSON.stringify(GUIDE_CONFIG, null, 2))
    const report = await provisionFromSource(t.sql, configSource(await fileInput(path, 'file')), ctx)
    expect(report).toMatchObject({total: 1, created: 1, failed: 0, unchanged: 0})
    const tenant = await getTenant(t.sql, 'acme-corp', ctx.baseDomain)
    expect(tenant).toMatchObject({
      name: 'Acme Corporation', plan: 'professional', contactEmail: 'billing@acme.com',
      limits: {maxAssets: 750, maxUsers: 40, maxDevices: 25, storageQuotaGb: 100},
      featureOverrides: {analytics_dashboard: true, api_access: true, custom_branding: false},
      settings: GUIDE_CONFIG[0]!.settings,
      owners: [{email: 'admin@acme.com', status: 'invited'}],
    })
    const members = await t.sql`select u.email, m.role from memberships m join users u on u.id = m.user_id where m.tenant_id = ${tenant.id} order by u.email`
    expect(members).toEqual([{email: 'admin@acme.com', role: 'owner'}, {email: 'manager@acme.com', role: 'admin'}])
    expect(report.rows[0]!.invitations!.map((i) => i.email)).toEqual(['admin@acme.com', 'manager@acme.com'])
    const again = await provisionFromSource(t.sql, configSource(await fileInput(path, 'file')), ctx)
    expect(again).toMatchObject({created: 0, unchanged: 1, failed: 0})
  })

  it('reads BOM, CRLF and quoted fields with commas and line breaks; stores SQL-looking names verbatim', async () => {
    const path = await file('ok.csv', '\ufeffname,subdomain,plan,owner_email,features,timezone,settings.notifications.email\r\n' +
      '"Foo, Inc.",foo-inc,basic,o@foo.example.com,api_access;custom_branding=false,Europe/Paris,true\r\n' +
      '"Multi\nLine Co",multi-co,professional,,,,\r\n' +
      '"Robert\'); DROP TABLE tenants;--",bobby-tables,,,,,\r\n')
    const report = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx)
    expect(report).toMatchObject({total: 3, created: 3, failed: 0})
    expect((await getTenant(t.sql, 'foo-inc', ctx.baseDomain))).toMatchObject({name: 'Foo, Inc.', settings: {timezone: 'Europe/Paris', notifications: {email: true}}, featureOverrides: {api_access: true, custom_branding: false}})
    expect((await getTenant(t.sql, 'multi-co', ctx.baseDomain)).name).toBe('Multi Line Co')
    expect((await getTenant(t.sql, 'bobby-tables', ctx.baseDomain)).name).toBe("Robert'); DROP TABLE tenants;--")
  })

  it('reports every problem of a bad file at once, by line and column, and writes nothing', async () => {
    const path = await file('bad.csv', [
      'name,subdomain,plan,contact_email,owner_email,max_assets,max_users,features,custom_domain',
      'Bad Email,bad-email,basic,billing@,owner@@x.com,,,,',
      'Reserved,admin,basic,,,,,,',
      'Too Short,ab,basic,,,,,,',
      'Punycode,xn--pple-43d,basic,,,,,,',
      'Look-alike,аpple,basic,,,,,,',
      'Negative,negative-co,basic,,,-5,,,',
      'Huge,huge-co,basic,,,99999999999,,,',
      'Unknown Plan,unknown-plan,platinum,,,,,,',
      'Unknown Feature,unknown-feature,basic,,,,,warp_drive,',
      'Dup One,dup-co,basic,,,,,,dup.example.com',
      'Dup Two,DUP-CO,basic,,,,,,',
      'Dup Domain,dup-domain,basic,,,,,,DUP.example.com',
      'Taken,existing-co,basic,,,,,,',
      'Domain Taken,domain-taken,basic,,,,,,signage.existing.com',
      'Wrong Count,wrong-count',
      'Bad "quote,bad-quote,basic,,,,,,',
      'Zero Users,zero-users,basic,,,,0,,',
    ].join('\n') + '\n')
    const before = await snapshot(t.sql)
    const report = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx, {stopOnError: true})
    const found = report.errors.map((e) => [e.line, e.code, e.field])
    expect(found).toEqual(expect.arrayContaining([
      [2, 'EMAIL_INVALID', 'contact_email'],
      [2, 'EMAIL_INVALID', 'owner_email'],
      [3, 'SUBDOMAIN_RESERVED', 'subdomain'],
      [4, 'SUBDOMAIN_INVALID', 'subdomain'],
      [5, 'SUBDOMAIN_INVALID', 'subdomain'],
      [6, 'SUBDOMAIN_INVALID', 'subdomain'],
      [7, 'LIMIT_INVALID', 'max_assets'],
      [8, 'LIMIT_INVALID', 'max_assets'],
      [9, 'PLAN_UNKNOWN', 'plan'],
      [10, 'FEATURE_UNKNOWN', 'features'],
      [12, 'DUPLICATE_IN_FILE', 'subdomain'],
      [13, 'DUPLICATE_IN_FILE', 'custom_domain'],
      [14, 'SUBDOMAIN_TAKEN', 'subdomain'],
      [15, 'CUSTOM_DOMAIN_TAKEN', 'custom_domain'],
      [16, 'CSV_COLUMN_COUNT', undefined],
      [17, 'CSV_MALFORMED', undefined],
      [18, 'LIMIT_INVALID', 'max_users'],
    ]))
    expect(report).toMatchObject({created: 0, stopped: true})
    const after = await snapshot(t.sql)
    // only the run's own record: no tenant, user, membership or audit row
    expect({...after, provisioning_runs: 0, provisioning_run_rows: 0}).toEqual({...before, provisioning_runs: 0, provisioning_run_rows: 0})
  })

  it('reports the line a record starts on, as an editor shows it, past line breaks in quotes and empty lines', async () => {
    const path = await file('lines.csv', [
      'name,subdomain,contact_email',
      '"Two\r\nLines",two-lines,a@b.example.com',
      '',
      '"Three\nLine\r\nName",three-lines,not-an-email',
      'Plain,plain-co,also-not-an-email',
    ].join('\r\n') + '\r\n')
    const report = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx, {dryRun: true})
    expect(report.errors.map((e) => [e.line, e.code])).toEqual([[5, 'EMAIL_INVALID'], [8, 'EMAIL_INVALID']])
  })

  it('counts lines in a file with CR line ends, and reports a broken record once, at its line, among CRLF lines', async () => {
    const cr = await file('cr.csv', 'name,subdomain,contact_email\rA Co,cr-a,a@cr.example.com\rB Co,cr-b,bad\rC Co,cr-a,c@cr.example.com\r')
    const crReport = await provisionFromSource(t.sql, csvSource(await fileInput(cr, 'file')), ctx, {dryRun: true})
    expect(crReport.errors.map((e) => [e.line, e.code])).toEqual([[3, 'EMAIL_INVALID'], [4, 'DUPLICATE_IN_FILE']])
    expect(crReport.created).toBe(1)

    const crlf = await file('crlf-broken.csv', ['name,subdomain', '"Two\r\nLines",two-crlf', 'Bad "quote" co",bad-crlf', 'Last,last-crlf'].join('\r\n') + '\r\n')
    const crlfReport = await provisionFromSource(t.sql, csvSource(await fileInput(crlf, 'file')), ctx, {dryRun: true})
    expect(crlfReport.errors.map((e) => [e.line, e.code])).toEqual([[4, 'CSV_MALFORMED']])
    expect(crlfReport).toMatchObject({total: 3, created: 2, failed: 1})
  })

  it('refuses a UTF-16 file, and a report in a directory that cannot be written, before anything is done', async () => {
    const utf16 = join(dir, 'utf16.csv')
    await writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name,subdomain\nA Co,utf16-co\n', 'utf16le')]))
    await expect(provisionFromSource(t.sql, csvSource(await fileInput(utf16, 'file')), ctx)).rejects.toMatchObject({code: 'CSV_ENCODING', line: 1})
    await expect(ReportFile.create(join(dir, 'no-such-dir', 'report.csv'))).rejects.toMatchObject({code: 'REPORT_UNWRITABLE', field: 'report'})
    await expect(ReportFile.create(utf16)).rejects.toMatchObject({code: 'REPORT_EXISTS'})
  })

  it('keeps line numbers right across a large file read in many chunks and batches', async () => {
    let text = 'name,subdomain,contact_email\n'
    const expected: number[] = []
    for (let i = 0; i < 3000; i++) {
      const line = text.split('\n').length
      const name = i % 7 === 0 ? `"Tenant\r\n${i}, Inc."` : `Tenant ${i}`
      const email = i % 500 === 499 ? 'not-an-email' : `billing${i}@lines.example.com`
      if (i % 500 === 499) expected.push(line)
      text += `${name},lines-${i},${email}\n`
    }
    const path = await file('many-lines.csv', text)
    const report = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx, {dryRun: true})
    expect(report.total).toBe(3000)
    expect(report.errors.map((e) => [e.line, e.code])).toEqual(expected.map((line) => [line, 'EMAIL_INVALID']))
  })

  it('refuses text that is not UTF-8 instead of storing replacement characters', async () => {
    const path = await file('latin1.csv', 'name,subdomain\nCaf\xe9 Co,cafe-co\nPlain Co,plain-latin\n', 'latin1')
    const report = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx)
    expect(report.errors.map((e) => [e.line, e.code, e.field])).toEqual([[2, 'CSV_ENCODING', 'name']])
    expect(report).toMatchObject({created: 1, failed: 1})
    await expect(getTenant(t.sql, 'cafe-co', ctx.baseDomain)).rejects.toMatchObject({code: 'TENANT_NOT_FOUND'})

    // a large UTF-8 file whose multi-byte characters fall across read chunks, then one Latin-1 line
    const rows = Array.from({length: 3000}, (_, i) => `Café ₿ 🚀 ${i},utf8-${i}`)
    const utf8 = Buffer.from(['name,subdomain', ...rows, ''].join('\n'))
    const large = join(dir, 'large-utf8.csv')
    await writeFile(large, Buffer.concat([utf8, Buffer.from('Gen\xe8ve SA,geneve-sa\n', 'latin1')]))
    const big = await provisionFromSource(t.sql, csvSource(await fileInput(large, 'file')), ctx, {dryRun: true})
    expect(big.errors.map((e) => [e.line, e.code])).toEqual([[3002, 'CSV_ENCODING']])
    expect(big.rows.find((r) => r.line === 2000)?.name).toBe('Café ₿ 🚀 1998')
  })

  it('validates and provisions from a stream read once (an HTTP request body) exactly as from the file', async () => {
    const text = 'name,subdomain,owner_email\nStream One,stream-one,a@stream.example.com\nBad,b,\n"Café, Two",stream-two,\n'
    const path = await file('stream.csv', text)
    const fromFile = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx, {dryRun: true})
    // a body arrives in pieces that cut lines and characters; it can be read only once
    const bytes = Buffer.from(text)
    const body = Readable.from([bytes.subarray(0, 7), bytes.subarray(7, 60), bytes.subarray(60, 83), bytes.subarray(83)])
    const upload = await streamInput('upload.csv', body, 'file')
    const catalog = await loadCatalog(t.sql)
    const validation = await validateSource(t.sql, csvSource(upload), catalog, ctx)
    expect({total: validation.total, pending: validation.pending, errors: validation.errors.map((e) => [e.line, e.code, e.field])}).toEqual({total: 3, pending: 2, errors: [[3, 'SUBDOMAIN_INVALID', 'subdomain']]})
    const fromStream = await provisionFromSource(t.sql, csvSource(upload), ctx)
    expect(fromStream).toMatchObject({file: 'upload.csv', sha256: fromFile.sha256, total: 3, created: 2, failed: 1})
    expect(fromStream.rows.map((r) => [r.line, r.outcome, r.name])).toEqual(fromFile.rows.map((r) => [r.line, r.outcome, r.name]))
    expect(await getTenant(t.sql, 'stream-two', ctx.baseDomain)).toMatchObject({name: 'Café, Two'})
    // a body larger than the caller allows is refused before any work
    await expect(streamInput('big.csv', Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), 'file', 15)).rejects.toMatchObject({code: 'INPUT_TOO_LARGE', field: 'file'})
  })

  it('refuses a missing file or a directory with FILE_UNREADABLE, and a reader never waits on one', async () => {
    for (const path of [join(dir, 'missing.csv'), dir]) {
      // the CLI refuses the path before any work
      await expect(fileInput(path, 'file')).rejects.toMatchObject({code: 'FILE_UNREADABLE', field: 'file', kind: 'invalid'})
      // the library, given a stream that fails (as it would if the file went away), fails the same way
      const failing = {name: path, open: () => createReadStream(path)}
      await expect(provisionFromSource(t.sql, csvSource(failing), ctx)).rejects.toMatchObject({code: 'FILE_UNREADABLE', field: 'file', kind: 'invalid'})
      await expect(provisionFromSource(t.sql, configSource(failing), ctx)).rejects.toMatchObject({code: 'FILE_UNREADABLE', field: 'file', kind: 'invalid'})
      await expect(csvSource(failing).batches().next()).rejects.toMatchObject({code: 'FILE_UNREADABLE'})
    }
  })

  it('refuses a header with an unknown or missing column', async () => {
    const unknown = await file('unknown.csv', 'name,subdomain,colour\nA,aaa-co,red\n')
    await expect(provisionFromSource(t.sql, csvSource(await fileInput(unknown, 'file')), ctx)).rejects.toMatchObject({errors: [expect.objectContaining({code: 'CSV_UNKNOWN_COLUMN', field: 'colour', line: 1})]})
    const missing = await file('missing-column.csv', 'name,plan\nA,basic\n')
    await expect(provisionFromSource(t.sql, csvSource(await fileInput(missing, 'file')), ctx)).rejects.toMatchObject({errors: [expect.objectContaining({code: 'CSV_MISSING_COLUMN', field: 'subdomain'})]})
  })

  it('continues past bad rows by default: creates the good ones and counts the failures', async () => {
    const path = await file('mixed.csv', 'name,subdomain\nGood One,good-one\nBad,b\nGood Two,good-two\n')
    const report = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx)
    expect(report).toMatchObject({created: 2, failed: 1})
    expect(report.rows.map((r) => [r.line, r.outcome])).toEqual([[2, 'created'], [3, 'failed'], [4, 'created']])
  })

  // the statistics read are the coordinator's: on Citus the tables' rows are on the workers
  it.skipIf(onCitus())('checks the run\'s tenants at its end without reading the tenant.create entries of the audit trail once per tenant', async () => {
    // the check's plan used to go through the action index: every tenant.create entry read once per created tenant
    const rows = 1500
    const path = await file('verify-end.csv', ['name,subdomain', ...Array.from({length: rows}, (_, i) => `Verify ${i},verify-end-${i}`)].join('\n'))
    const stats = async () => (await t.sql<{read: number; inserted: number}[]>`
      select (select idx_tup_read from pg_stat_user_indexes where indexrelname = 'audit_log_action_at_idx')::int as read,
             (select n_tup_ins from pg_stat_user_tables where relname = 'tenants')::int as inserted`)[0]!
    const before = await stats()
    // a pool of its own, whose statistics reach the views when its connections close
    const own = await openDatabase({databaseUrl: t.url, dataDir: '/nonexistent', migrate: false})
    const report = await provisionFromSource(own.sql, csvSource(await fileInput(path, 'file')), ctx, {})
    await own.close()
    expect(report).toMatchObject({created: rows, failed: 0})
    let after = await stats()
    for (let i = 0; i < 100 && after.inserted < before.inserted + rows; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      after = await stats()
    }
    expect(after.inserted).toBeGreaterThanOrEqual(before.inserted + rows)
    expect(after.read - before.read).toBeLessThan(rows)
  })

  it('a dry run reports what a real run would do and writes nothing', async () => {
    const made = await file('dry-made.csv', 'name,subdomain\nMade One,dry-made-one\nMade Two,dry-made-two\n')
    expect(await provisionFromSource(t.sql, csvSource(await fileInput(made, 'FILE')), ctx)).toMatchObject({created: 2, failed: 0})
    const path = await file('dry.csv', 'name,subdomain,owner_email\nDry One,dry-one,a@dry.example.com\nDry Two,dry-two,\nMade One Renamed,dry-made-one,\nMade Two,dry-made-two,\n')
    const before = await snapshot(t.sql)
    const report = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx, {dryRun: true})
    expect(report).toMatchObject({dryRun: true, created: 2, failed: 1, unchanged: 1})
    expect(report.errors.map((e) => [e.line, e.code])).toEqual([[4, 'SUBDOMAIN_TAKEN']])
    const after = await snapshot(t.sql)
    expect({...after, provisioning_runs: 0, provisioning_run_rows: 0}).toEqual({...before, provisioning_runs: 0, provisioning_run_rows: 0})
  })
})
