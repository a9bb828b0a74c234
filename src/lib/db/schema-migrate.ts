/** `db migrate` as one call: to a version, up or down, or only the plan of it. */
import type {Sql} from 'postgres'

import {type DistributedTable, distributeTables} from './citus.js'
import {migrate, migrateBackwards, migrationStatus, toRevert} from './migrations.js'

export interface SchemaMigrationResult {
  direction: 'up' | 'down'
  plan: boolean
  /** the revert was not confirmed: nothing was reverted */
  cancelled?: boolean
  /** applied, reverted, or (with `plan`) those that would be */
  migrations: {version: number; name: string}[]
  /** the schema version after the run */
  schemaVersion: number
  /** on Citus: the tables this run distributed or made reference tables (distributeTables) */
  distributed?: DistributedTable[]
}

export interface SchemaMigrationOptions {
  /** change nothing: list what would be applied or reverted */
  plan?: boolean
  /** revert the last applied migration (or down to `to`) */
  backwards?: boolean
  /** apply up to this version, or, below the current one, revert the migrations above it */
  to?: number
  /**
   * Asked before a revert, which drops what the migrations created, data
   * included; false cancels it. Without it, a revert goes ahead.
   */
  confirmRevert?: (reverting: {version: number; name: string}[]) => Promise<boolean>
}

/** Migrate the schema forwards or backwards (see SchemaMigrationOptions). */
export async function migrateSchema(sql: Sql, options: SchemaMigrationOptions = {}): Promise<SchemaMigrationResult> {
  const {to} = options
  const plan = options.plan ?? false
  const status = await migrationStatus(sql)
  const backwards = options.backwards === true || (to !== undefined && to < status.schemaVersion)
  const direction = backwards ? 'down' : 'up'
  let migrations: {version: number; name: string}[]
  const placed: DistributedTable[] = []
  if (plan) {
    migrations = backwards ? toRevert(status.applied, to) : status.pending.filter((m) => to === undefined || m.version <= to)
  } else if (backwards) {
    const reverting = toRevert(status.applied, to)
    if (reverting.length > 0 && options.confirmRevert && !(await options.confirmRevert(reverting))) {
      return {direction, plan, cancelled: true, migrations: [], schemaVersion: status.schemaVersion}
    }
    migrations = await migrateBackwards(sql, {to})
  } else {
    migrations = await migrate(sql, undefined, {to, placed})
  }
  // also a database that became a Citus cluster after its migrations
  if (!plan && !backwards) placed.push(...(await distributeTables(sql)))
  const after = plan ? status.schemaVersion : (await migrationStatus(sql)).schemaVersion
  return {direction, plan, migrations: migrations.map(({version, name}) => ({version, name})), schemaVersion: after, ...(placed.length > 0 ? {distributed: placed} : {})}
}
