import {randomBytes} from 'node:crypto'
import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import postgres from 'postgres'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadMigrations, migrate, migrateBackwards, migrationStatus, SCHEMA_MIGRATIONS_DIR} from '../../src/lib/db/migrations.js'
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
})
