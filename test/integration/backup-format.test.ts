import {execFileSync} from 'node:child_process'
import {createHash, randomUUID} from 'node:crypto'
import {mkdtemp, readdir, readFile, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {backupInput} from '../../src/inputs.js'
import {writeBackupFile} from '../../src/backup-files.js'
import {readBackup, restoreTenant} from '../../src/lib/backup.js'
import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * What an attacker can do to a backup: edit its lines after the manifest, then
 * recompute every checksum and row count the manifest holds.
 */
function forge(text: string, edit: (lines: string[]) => string[], manifestEdit: (m: Record<string, unknown>) => void = () => undefined): string {
  const newline = text.indexOf('\n', text.indexOf('\n') + 1)
  const manifest = JSON.parse(text.slice(text.indexOf('{'), newline).trimEnd()) as {tables: {name: string; rows: number; sha256: string}[]; sha256?: string}
  const body = edit(text.slice(newline + 1).split('\n')).join('\n')
  const blocks: Record<string, string[]> = {}
  let table = ''
  for (const line of body.split('\n')) {
    const copy = /^COPY public\."([^"]+)"/.exec(line)
    if (copy) blocks[(table = copy[1]!)] = []
    else if (line === '\\.') table = ''
    else if (table) blocks[table]!.push(line + '\n')
  }
  for (const t of manifest.tables) {
    t.rows = blocks[t.name]?.length ?? 0
    t.sha256 = sha256((blocks[t.name] ?? []).join(''))
  }
  manifest.sha256 = sha256(body)
  manifestEdit(manifest)
  return `-- anthias tenant backup\n-- manifest: ${JSON.stringify(manifest)}\n${body}`
}

/** Insert `extra` after the first line that `after` matches. */
const insertAfter = (after: RegExp, ...extra: string[]) => (lines: string[]) => {
  const at = lines.findIndex((l) => after.test(l))
  return [...lines.slice(0, at + 1), ...extra, ...lines.slice(at + 1)]
}

describe('backup files: exact format, safe writing', () => {
  let t: TestDatabase
  let dir: string
  let id: string

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-backup-format-'))
    id = (await createTenant(t.sql, {name: 'Exact', subdomain: 'exact', ownerEmail: 'owner@exact.example.com', ownerPassword: 'Passw0rdPass'}, ctx)).tenant.id
    await createTenant(t.sql, {name: 'Other', subdomain: 'other', ownerEmail: 'owner@other.example.com'}, ctx)
    await withTenant(t.sql, id, (tx) => tx`insert into devices (tenant_id, name) values (${id}, 'Lobby'), (${id}, 'Hall')`)
    const [other] = await t.sql`select id from tenants where subdomain = 'other'`
    await withTenant(t.sql, other!.id, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype) values (${other!.id}, 'Theirs', 'a.png', 'image/png')`)
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('refuses anything the writer does not write, even with every checksum recomputed, and writes nothing', async () => {
    const file = join(dir, 'exact.sql')
    await writeBackupFile(t.sql, 'exact', file)
    const text = await readFile(file, 'utf8')
    expect(text).toContain(`SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'),`)
    // the forger is right: an untouched body with recomputed checksums restores, and so does format 1 (no whole-file checksum)
    const same = join(dir, 'same.sql')
    await writeFile(same, forge(text, (l) => l))
    await expect(restoreTenant(t.sql, await backupInput(same), {confirmName: 'Exact'}, ctx)).resolves.toMatchObject({rows: {devices: 2}})
    const v1 = join(dir, 'format1.sql')
    const format1 = (m: Record<string, unknown>) => {
      Object.assign(m, {format: 1, sha256: undefined})
      for (const table of m.tables as {sequences?: string[]}[]) delete table.sequences
    }
    await writeFile(v1, forge(text, (l) => l.filter((x) => !x.startsWith('SELECT pg_catalog.setval(')), format1))
    expect((await readBackup(await backupInput(v1))).format).toBe(1)

    const forgeries: [string, string][] = [
      ['a statement between two blocks', forge(text, insertAfter(/^\\\.$/, 'DELETE FROM assets;'))],
      ['an INSERT between two blocks', forge(text, insertAfter(/^\\\.$/, "INSERT INTO assets (tenant_id, name, uri, mimetype) SELECT id, 'x', 'x', 'x' FROM tenants;"))],
      ['a psql meta-command between two blocks', forge(text, insertAfter(/^\\\.$/, '\\! echo pwned'))],
      ['a blank line between two blocks', forge(text, insertAfter(/^\\\.$/, ''))],
      ['a statement before the first block', forge(text, insertAfter(/^BEGIN;$/, 'DELETE FROM assets;'))],
      ['a statement after COMMIT', forge(text, insertAfter(/^COMMIT;$/, 'DELETE FROM assets;'))],
      ['a second COMMIT and more', forge(text, (l) => [...l.slice(0, -1), 'BEGIN;', 'DELETE FROM assets;', 'COMMIT;', ''])],
      ['a CR line end', forge(text, (l) => l.map((x) => (x === 'BEGIN;' ? 'BEGIN;\r' : x)))],
      ['a COPY line for a table not in the manifest', forge(text, (l) => l.map((x) => x.replace('COPY public."devices"', 'COPY public."plans"')))],
      ['a COPY line with other columns', forge(text, (l) => l.map((x) => (x.startsWith('COPY public."devices"') ? x.replace('"name", ', '') : x)))],
      ['a data line with too few fields', forge(text, insertAfter(/^COPY public\."devices"/, 'x'))],
      ['a manifest that lists a table without tenant_id', forge(text, (l) => l, (m) => (m.tables as {columns: string[]}[]).at(-1)!.columns.splice(0, 1))],
      ['a sequence line for another table', forge(text, (l) => l.map((x) => (x.startsWith('SELECT pg_catalog.setval(') ? x.replaceAll('public."notification_outbox"', 'public."audit_log"') : x)))],
      ['a statement after a sequence line', forge(text, (l) => l.map((x) => (x.startsWith('SELECT pg_catalog.setval(') ? `${x} DELETE FROM assets;` : x)))],
      ['a statement in a sequence line', forge(text, (l) => l.map((x) => (x.startsWith('SELECT pg_catalog.setval(') ? x.replace('FROM public."notification_outbox"', 'FROM public."notification_outbox"; DELETE FROM assets; SELECT 1') : x)))],
      ['a sequence line the manifest does not name', forge(text, (l) => l, (m) => delete (m.tables as {name: string; sequences?: string[]}[]).find((x) => x.name === 'notification_outbox')!.sequences)],
      ['a sequence line missing', forge(text, (l) => l.filter((x) => !x.startsWith('SELECT pg_catalog.setval(')))],
      ['a manifest sequence that is no column of its table', forge(text, (l) => l, (m) => ((m.tables as {name: string; sequences?: string[]}[]).find((x) => x.name === 'devices')!.sequences = ['nope']))],
    ]
    const before = await snapshot(t.sql)
    for (const [what, forged] of forgeries) {
      const bad = join(dir, 'forged.sql')
      await writeFile(bad, forged)
      await expect(restoreTenant(t.sql, await backupInput(bad), {confirmName: 'Exact'}, ctx), what).rejects.toMatchObject({code: 'BACKUP_INVALID', exit: 2})
    }
    expect(await snapshot(t.sql)).toEqual(before)
  })

  /** The data lines of `table` in a backup's text. */
  const block = (text: string, table: string) => {
    const lines = text.split('\n')
    const from = lines.findIndex((l) => l.startsWith(`COPY public."${table}"`)) + 1
    return lines.slice(from, lines.indexOf('\\.', from))
  }

  describe("a backup's users are its members', and a restore never changes an existing account", () => {
    /** the attacker's tenant, and its backup */
    let text: string
    /** the victim's users row, as a backup writes it */
    let victimRow: string
    const victimAccount = () => t.sql`select * from users where email = 'owner@victim.example.com'`

    beforeAll(async () => {
      await createTenant(t.sql, {name: 'Crossing', subdomain: 'crossing', ownerEmail: 'owner@crossing.example.com', ownerPassword: 'Attacker0Pass'}, ctx)
      await createTenant(t.sql, {name: 'Victim', subdomain: 'victim', ownerEmail: 'owner@victim.example.com', ownerPassword: 'Victim00Pass'}, ctx)
      await writeBackupFile(t.sql, 'crossing', join(dir, 'crossing.sql'))
      text = await readFile(join(dir, 'crossing.sql'), 'utf8')
      await writeBackupFile(t.sql, 'victim', join(dir, 'victim.sql'))
      victimRow = block(await readFile(join(dir, 'victim.sql'), 'utf8'), 'users')[0]!
    })

    it('refuses a users row that no membership of the file names, with its line, and changes nothing', async () => {
      // the victim's global identity, with the attacker's password hash (whose password the attacker knows)
      const [attacker] = block(text, 'users')[0]!.split('\t').slice(2, 3)
      const [id, email, , createdAt] = victimRow.split('\t')
      const victim = [id, email, attacker, createdAt].join('\t')
      const stranger = [randomUUID(), 'stranger@example.com', attacker, createdAt].join('\t')
      const victimBefore = await victimAccount()
      const before = await snapshot(t.sql)
      for (const extra of [victim, stranger]) {
        const forged = forge(text, insertAfter(/^COPY public\."users"/, extra))
        const line = forged.split('\n').indexOf(extra) + 1
        const bad = join(dir, 'extra-user.sql')
        await writeFile(bad, forged)
        await expect(readBackup(await backupInput(bad))).rejects.toMatchObject({code: 'BACKUP_INVALID', exit: 2, line, message: expect.stringMatching(/no member of the tenant/)})
        await expect(restoreTenant(t.sql, await backupInput(bad), {confirmName: 'Crossing'}, ctx)).rejects.toMatchObject({code: 'BACKUP_INVALID', exit: 2, line})
      }
      // and the other way round: a membership without its users row
      const orphan = join(dir, 'orphan-member.sql')
      await writeFile(orphan, forge(text, (l) => l.filter((x) => x !== block(text, 'users')[0])))
      await expect(restoreTenant(t.sql, await backupInput(orphan), {confirmName: 'Crossing'}, ctx)).rejects.toMatchObject({code: 'BACKUP_INVALID', message: expect.stringMatching(/has no users row/)})
      expect(await snapshot(t.sql)).toEqual(before)
      expect(await victimAccount()).toEqual(victimBefore)
    })

    it("a restore never changes an existing user's account, even one another tenant's member has", async () => {
      const victimBefore = await victimAccount()
      const [attackerId, , attackerHash, createdAt] = block(text, 'users')[0]!.split('\t')
      const [victimId, victimEmail, victimHash] = victimRow.split('\t')
      expect(victimHash).toMatch(/^\$2/)
      expect(attackerHash).toMatch(/^\$2/)
      expect(victimHash).not.toBe(attackerHash)
      const membership = block(text, 'memberships')[0]!
      // the victim's id and email; the email under a new id; the id under a new email: each a member, with the attacker's password hash
      for (const [id, email] of [[victimId, victimEmail], [randomUUID(), victimEmail], [victimId, 'renamed@example.com']]) {
        const user = [id, email, attackerHash, createdAt].join('\t')
        const member = membership.replace(attackerId!, id!).replace(/\towner\t/, '\tviewer\t')
        const forged = join(dir, 'member-user.sql')
        await writeFile(forged, forge(text, (l) => insertAfter(/^COPY public\."memberships"/, member)(insertAfter(/^COPY public\."users"/, user)(l))))
        await restoreTenant(t.sql, await backupInput(forged), {confirmName: 'Crossing'}, ctx)
        expect(await victimAccount()).toEqual(victimBefore)
        expect(await t.sql`select 1 from users where email = 'renamed@example.com'`).toHaveLength(0)
      }
    })
  })

  it('refuses what is at the target unless --force, and --force replaces only a regular file', async () => {
    const victim = join(dir, 'victim.txt')
    await writeFile(victim, 'not yours\n')
    const existing = join(dir, 'existing.sql')
    await writeFile(existing, 'an earlier backup\n')
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const link = join(dir, 'link.sql')
    await symlink(victim, link)
    const dangling = join(dir, 'dangling.sql')
    await symlink(join(dir, 'nowhere'), dangling)
    const listing = await readdir(dir)

    for (const target of [existing, fifo, link, dangling]) {
      await expect(writeBackupFile(t.sql, 'exact', target)).rejects.toMatchObject({code: 'BACKUP_EXISTS', exit: 2, field: 'output'})
    }
    for (const target of [fifo, link, dangling]) {
      await expect(writeBackupFile(t.sql, 'exact', target, {force: true})).rejects.toMatchObject({code: 'BACKUP_NOT_A_FILE', exit: 2})
    }
    expect(await readFile(existing, 'utf8')).toBe('an earlier backup\n')
    expect(await readFile(victim, 'utf8')).toBe('not yours\n')
    expect((await readdir(dir)).sort()).toEqual(listing.sort())

    await writeBackupFile(t.sql, 'exact', existing, {force: true})
    expect((await readBackup(await backupInput(existing))).tenant.id).toBe(id)
    expect((await stat(existing)).mode & 0o777).toBe(0o600)
  })

  it('never writes through a symlink planted at a temporary name', async () => {
    const victim = join(dir, 'precious.txt')
    await writeFile(victim, 'precious\n')
    for (const [name, gzip] of [['planted.sql', false], ['planted.sql.gz', true]] as const) {
      const file = join(dir, name)
      // the names the writer used to use: NAME.partial-PID and NAME.body-PID
      for (const suffix of ['partial', 'body']) await symlink(victim, `${file}.${suffix}-${process.pid}`)
      await writeBackupFile(t.sql, 'exact', file, {gzip})
      expect((await readBackup(await backupInput(file))).tenant.id).toBe(id)
    }
    expect(await readFile(victim, 'utf8')).toBe('precious\n')
  })
})
