/** What `db status` reports of a connected database. */
import type {Sql} from 'postgres'

import {citusStatus, type CitusStatus} from './citus.js'
import {migrationStatus} from './migrations.js'

export interface DatabaseStatus {
  serverVersion: string
  schemaVersion: number
  pendingMigrations: number
  /** absent before the first migration made the tenants table */
  tenants?: number
  /** on a Citus cluster: its nodes and where each table is */
  citus?: CitusStatus
}

/** The server's version, the schema version and pending migrations, and the number of tenants (read without migrating). */
export async function databaseStatus(sql: Sql): Promise<DatabaseStatus> {
  const [row] = await sql<{version: string; tenants: number | null}[]>`
    select current_setting('server_version') as version,
      (select count(*)::int from tenants where to_regclass('tenants') is not null) as tenants`.catch(
    async () => sql<{version: string; tenants: null}[]>`select current_setting('server_version') as version, null::int as tenants`,
  )
  const migrations = await migrationStatus(sql)
  const citus = await citusStatus(sql)
  return {serverVersion: row!.version, schemaVersion: migrations.schemaVersion, pendingMigrations: migrations.pending.length, tenants: row!.tenants ?? undefined, ...(citus ? {citus} : {})}
}
