import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadMigrations, migrateBackwards} from '../../src/lib/db/migrations.js'
import {cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

const MIGRATIONS = await loadMigrations()
const LATEST = MIGRATIONS.at(-1)!.version

/**
 * The schema check every command makes on connect (one statement when up to date):
 * a schema behind is migrated first, one ahead of this anthias or with an edited
 * migration is refused before the command does anything.
 */
describe('the schema check on connect', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  const versions = async () => (await t.sql<{version: number}[]>`select version from anthias_schema_migrations order by version`).map((r) => r.version)

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {ANTHIAS_DATABASE_URL: t.url, CI: '1'}
  })
  afterAll(async () => t?.drop())

  it('behind: the pending migration is applied, then the command runs', async () => {
    await migrateBackwards(t.sql)
    expect(await versions()).not.toContain(LATEST)
    const result = await cli(['subdomain', 'check', 'acme', '--json'], {env})
    expect(result.code).toBe(0)
    expect(result.json!.result).toMatchObject({available: true})
    expect(await versions()).toEqual(MIGRATIONS.map((m) => m.version))
  })

  it('ahead: a migration applied by a newer anthias is MIGRATION_MISSING, and nothing runs', async () => {
    await t.sql`insert into anthias_schema_migrations (version, name, checksum, duration_ms) values (9999, 'from_the_future', 'x', 0)`
    try {
      const result = await cli(['tenant', 'create', 'Future Co', 'future-co', '--no-input', '--json'], {env})
      expect(result.code).not.toBe(0)
      expect(result.json!.error).toMatchObject({code: 'MIGRATION_MISSING'})
      expect(await t.sql`select 1 from tenants where subdomain = 'future-co'`).toHaveLength(0)
    } finally {
      await t.sql`delete from anthias_schema_migrations where version = 9999`
    }
  })

  it('edited: an applied migration whose file changed is MIGRATION_CHECKSUM_MISMATCH', async () => {
    const [first] = await t.sql<{checksum: string}[]>`select checksum from anthias_schema_migrations where version = 1`
    await t.sql`update anthias_schema_migrations set checksum = 'edited' where version = 1`
    try {
      const result = await cli(['subdomain', 'check', 'acme', '--json'], {env})
      expect(result.code).not.toBe(0)
      expect(result.json!.error).toMatchObject({code: 'MIGRATION_CHECKSUM_MISMATCH'})
    } finally {
      await t.sql`update anthias_schema_migrations set checksum = ${first!.checksum} where version = 1`
    }
  })
})
