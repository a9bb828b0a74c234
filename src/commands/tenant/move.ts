import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {tenantArg, transferModeFlag} from '../../flags.js'
import type {TransferMode} from '../../lib/db/citus-ops.js'
import type {TenantMoveResult} from '../../lib/results.js'

export default class TenantMove extends BaseCommand<typeof TenantMove> {
  static override description = describe(
    `Citus only: move a tenant's shard group (its rows of every tenant table) to another worker (citus_move_shard_placement).

With --transfer-mode auto (the default) by logical replication where PostgreSQL allows it with row-level security (16 and later): the tenant's reads and writes go on during the copy; on PostgreSQL 15 auto is block_writes: reads go on, writes wait until the copy is done. Other tenants in the same shard group move with it (reported as otherTenants): tenant isolate first to move one alone. Refused when --node is not a worker of the cluster (CITUS_NODE_NOT_FOUND, exit 3; db status lists them) or the tenant is there already (CITUS_ALREADY_ON_NODE, exit 4); on plain PostgreSQL with CITUS_REQUIRED.`,
  )
  static override examples = [
    '<%= config.bin %> tenant move big-customer --node 10.0.0.12:5432',
    '<%= config.bin %> tenant move big-customer --node worker-2.internal:5432 --json',
  ]
  static override args = {tenant: tenantArg}
  static override flags = {
    node: Flags.string({description: 'the worker to move to, as db status lists it', helpValue: 'HOST:PORT', required: true}),
    ...transferModeFlag,
  }

  async run(): Promise<TenantMoveResult> {
    const {moveTenant} = await import('../../lib/db/citus-ops.js')
    const {symbols} = await import('../../ui/format.js')
    const {sql} = await this.database()
    this.interruption = {note: () => 'the move was cancelled with its connection; Citus removes what it had copied, and the tenant stays where it was'}
    const result = await moveTenant(sql, this.args.tenant, {node: this.flags.node, transferMode: this.flags['transfer-mode'] as TransferMode}, await this.context())
    this.log(`${symbols.ok} ${result.subdomain}: shard ${result.shardId} (${result.shards.length} tables) moved ${result.from.host}:${result.from.port} → ${result.to.host}:${result.to.port} in ${(result.durationMs / 1000).toFixed(1)} s`)
    if (result.otherTenants > 0) this.warn(`${result.otherTenants} other ${result.otherTenants === 1 ? 'tenant shares' : 'tenants share'} the shard group and moved with it; tenant isolate moves a tenant to a shard of its own first.`)
    return result
  }
}
