import {randomBytes} from 'node:crypto'
import {cp, mkdtemp, rm, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import postgres from 'postgres'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadMigrations, manifestChecksums, migrate, migrateBackwards, migrationManifest, migrationStatus, SCHEMA_MIGRATIONS_DIR} from '../../src/lib/db/migrations.js'
import {adminUrl} from '../helpers/db.js'

describe('schema migrations', () => {
  let name: string
  let sql: postgres.Sql
  let dir: string
  const admin = () => postgres(adminUrl(), {max: 1, onnotice: () => undefined})

  beforeEach(async () => {
    name = `anthias_mig_${process.pid}_${randomBytes(4).toString('hex')}`
    const a = admin()
    await a.unsafe(`create database ${name}`)
    await a.end()
    const url = new URL(adminUrl())
    url.pathname = `/${name}`
    sql = postgres(url.toString(), {max: 4, onnotice: () => undefined, transform: {column: {from: postgres.toCamel}}})
    dir = await mkdtemp(join(tmpdir(), 'anthias-mig-'))
    await cp(SCHEMA_MIGRATIONS_DIR, dir, {recursive: true})
  })

  afterEach(async () => {
    await sql?.end()
    const a = admin()
    await a.unsafe(`drop database if exists ${name} with (force)`)
    await a.end()
    await rm(dir, {recursive: true, force: true})
  })

  it('applies all pending migrations once, even when two run at once', async () => {
    const files = await loadMigrations(dir)
    const [one, two] = await Promise.all([migrate(sql, files), migrate(sql, files)])
    expect([...one, ...two].map((m) => m.version).sort((a, b) => a - b)).toEqual(files.map((m) => m.version))
    const status = await migrationStatus(sql, files)
    expect(status).toMatchObject({pending: [], schemaVersion: files.at(-1)!.version})
    const [plans] = await sql`select count(*)::int as n from plans`
    expect(plans!.n).toBe(3)
  })

  it('reverts the last migration with --backwards and re-applies it', async () => {
    const files = await loadMigrations(dir)
    await migrate(sql, files)
    const last = files.at(-1)!.version
    expect((await migrateBackwards(sql, {}, files)).map((m) => m.version)).toEqual([last])
    expect((await migrationStatus(sql, files)).pending.map((m) => m.version)).toEqual([last])
    expect((await migrateBackwards(sql, {to: 1}, files)).map((m) => m.version)).toEqual(files.slice(1, -1).map((m) => m.version).reverse())
    expect((await sql`select count(*)::int as n from plans`)[0]!.n).toBe(0)
    expect((await migrate(sql, files)).map((m) => m.version)).toEqual(files.slice(1).map((m) => m.version))
    expect((await sql`select count(*)::int as n from plans`)[0]!.n).toBe(3)
  })

  it('refuses an applied migration whose file was edited', async () => {
    await migrate(sql, await loadMigrations(dir))
    await writeFile(join(dir, '0002_plan_catalog.up.sql'), '-- edited\nselect 1;\n', {flag: 'a'})
    const files = await loadMigrations(dir)
    await expect(migrate(sql, files)).rejects.toMatchObject({code: 'MIGRATION_CHECKSUM_MISMATCH'})
    await expect(migrationStatus(sql, files)).rejects.toMatchObject({code: 'MIGRATION_CHECKSUM_MISMATCH'})
  })

  it("trusts the build's checksums only while every file is as it was then", async () => {
    const outside = join(await mkdtemp(join(tmpdir(), 'anthias-manifest-')), 'manifest.json')
    expect(await manifestChecksums(dir, outside)).toBeUndefined()
    await writeFile(outside, JSON.stringify(await migrationManifest(dir)))
    const trusted = () => manifestChecksums(dir, outside)
    expect((await trusted())!.map((m) => m.version)).toEqual((await loadMigrations(dir)).map((m) => m.version))
    const first = join(dir, '0001_core.up.sql')
    await utimes(first, new Date(), new Date(Date.now() + 60_000))
    expect(await trusted()).toBeUndefined()
    await writeFile(outside, JSON.stringify(await migrationManifest(dir)))
    await writeFile(join(dir, '0099_new.up.sql'), 'select 1;\n')
    expect(await trusted()).toBeUndefined()
    await rm(join(dir, '0099_new.up.sql'))
    expect(await trusted()).toBeDefined()
    await rm(dirname(outside), {recursive: true})
  })

  it('with the checksums: up to date in one statement; behind, ahead or edited, checked against the files', async () => {
    const outside = join(await mkdtemp(join(tmpdir(), 'anthias-manifest-')), 'manifest.json')
    await writeFile(outside, JSON.stringify(await migrationManifest(dir)))
    const files = await loadMigrations(dir)
    const run = () => migrate(sql, loadMigrations(dir), {checksums: manifestChecksums(dir, outside)})
    expect((await run()).map((m) => m.version)).toEqual(files.map((m) => m.version))
    expect(await run()).toEqual([])
    await sql`insert into anthias_schema_migrations (version, name, checksum, duration_ms) values (9999, 'from_the_future', 'x', 0)`
    await expect(run()).rejects.toMatchObject({code: 'MIGRATION_MISSING'})
    await sql`delete from anthias_schema_migrations where version = 9999`
    await sql`update anthias_schema_migrations set checksum = 'edited' where version = 1`
    await expect(run()).rejects.toMatchObject({code: 'MIGRATION_CHECKSUM_MISMATCH'})
    await sql`update anthias_schema_migrations set checksum = ${files[0]!.checksum} where version = 1`
    await writeFile(join(dir, '0002_plan_catalog.up.sql'), '-- edited\nselect 1;\n', {flag: 'a'})
    await expect(run()).rejects.toMatchObject({code: 'MIGRATION_CHECKSUM_MISMATCH'})
    await rm(dirname(outside), {recursive: true})
  })
})
