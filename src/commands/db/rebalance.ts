import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {transferModeFlag} from '../../flags.js'
import type {TransferMode} from '../../lib/db/citus-ops.js'
import type {DbRebalanceResult} from '../../lib/results.js'

export default class DbRebalance extends BaseCommand<typeof DbRebalance> {
  static override description = describe(
    `Citus only: spread the shard groups evenly over the workers (citus_rebalance_start), showing the moves done, and wait until the rebalance is done.

--dry-run shows the moves it would make (get_rebalance_table_shards_plan) and moves nothing. --transfer-mode as for tenant move (on PostgreSQL 15 writes to a shard wait while it is copied). Interrupted, the rebalance goes on in the background (citus_rebalance_status() shows it, citus_rebalance_stop() stops it). A rebalance under way already is CITUS_REBALANCE_RUNNING (exit 4); on plain PostgreSQL it is refused with CITUS_REQUIRED.`,
  )
  static override examples = ['<%= config.bin %> db rebalance --dry-run', '<%= config.bin %> db rebalance', '<%= config.bin %> db rebalance --json']
  static override flags = {
    'dry-run': Flags.boolean({description: 'show the moves a rebalance would make; move nothing'}),
    ...transferModeFlag,
  }

  async run(): Promise<DbRebalanceResult> {
    const {rebalance} = await import('../../lib/db/citus-ops.js')
    const {symbols, table} = await import('../../ui/format.js')
    const {formatBytes} = await import('../../ui/progress.js')
    const {sql} = await this.database()
    const ctx = await this.context()
    const dryRun = this.flags['dry-run']
    const result = await this.withProgress([{key: 'rebalance', title: 'Rebalance the shards', unit: 'moves'}], () => 'the rebalance goes on in the background (select * from citus_rebalance_status() shows it, select citus_rebalance_stop() stops it)', (onProgress) =>
      rebalance(sql, {dryRun, transferMode: this.flags['transfer-mode'] as TransferMode, onProgress}, ctx))
    if (result.moves.length === 0) {
      this.log(`${symbols.ok} Nothing to move: the shards are balanced`)
      return result
    }
    this.log(table(['shard', 'tables', 'size', 'from', 'to'], result.moves.map((m) => [m.shardId, m.tables.length, formatBytes(m.bytes), `${m.from.host}:${m.from.port}`, `${m.to.host}:${m.to.port}`])))
    this.log(dryRun
      ? `${result.moves.length} shard ${result.moves.length === 1 ? 'group' : 'groups'} to move (dry run: nothing was moved)`
      : `${symbols.ok} Rebalanced: ${result.moves.length} shard ${result.moves.length === 1 ? 'group' : 'groups'} moved (job ${result.jobId}) in ${(result.durationMs / 1000).toFixed(1)} s`)
    return result
  }
}
