import {BaseCommand, describe} from '../../base.js'
import type {DbStatusResult} from '../../lib/results.js'

export default class DbStatus extends BaseCommand<typeof DbStatus> {
  static override description = describe('Show which database is used, where it is, its PostgreSQL version and the schema version; on a Citus cluster also its nodes, their shard counts, and which tables are distributed, reference or coordinator-only.')
  static override examples = ['<%= config.bin %> db status', 'DATABASE_URL=postgres://postgres@127.0.0.1:5432/anthias <%= config.bin %> db status --json']

  async run(): Promise<DbStatusResult> {
    const {resolveConnectionTarget} = await import('../../lib/db/url.js')
    const {EmbeddedServer} = await import('../../lib/db/embedded.js')
    const {resolveDataDir} = await import('../../lib/db/data-dir.js')
    const {keyValues} = await import('../../ui/format.js')
    const target = resolveConnectionTarget(this.flags['database-url'])
    const result: DbStatusResult = {source: target.source, running: false}
    if (target.source === 'embedded') {
      const server = new EmbeddedServer(resolveDataDir(this.config.dataDir))
      const status = await server.status()
      Object.assign(result, {dataDir: status.dataDir, pinned: status.pinned})
      if (!status.initialised) {
        this.log(keyValues([['database', 'embedded (not initialised yet: the first command creates it)'], ['data dir', status.dataDir]]))
        return result
      }
    }
    const {databaseStatus} = await import('../../lib/db/status.js')
    const db = await this.database({migrate: false})
    const status = await databaseStatus(db.sql)
    Object.assign(result, {url: db.displayUrl, running: true, ...status})
    this.log(
      keyValues([
        ['database', target.source === 'embedded' ? `embedded${result.pinned ? ' (kept running by db start)' : ''}` : `from ${target.source === 'flag' ? '--database-url' : target.source}`],
        ['url', db.displayUrl],
        ['data dir', result.dataDir],
        ['PostgreSQL', status.serverVersion],
        ['schema version', `${status.schemaVersion}${status.pendingMigrations > 0 ? ` (${status.pendingMigrations} pending)` : ''}`],
        ['tenants', status.tenants],
        ...(status.citus ? citusLines(status.citus) : []),
      ]),
    )
    return result
  }
}

/** The cluster in db status: Citus's version, each node with its shard placements, the tables by placement. */
function citusLines(citus: NonNullable<DbStatusResult['citus']>): [string, string][] {
  const byPlacement = (placement: string) => citus.tables.filter((t) => t.placement === placement)
  return [
    ['Citus', citus.version],
    ...citus.nodes.map((n): [string, string] => [n.role, `${n.host}:${n.port}, ${n.shards} shards`]),
    ['distributed', byPlacement('distributed').map((t) => `${t.table} (by ${t.column}, ${t.shards} shards)`).join(', ') || '(none)'],
    ['reference', byPlacement('reference').map((t) => t.table).join(', ') || '(none)'],
    ['coordinator only', byPlacement('coordinator').map((t) => t.table).join(', ') || '(none)'],
  ]
}
