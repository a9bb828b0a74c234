import {BaseCommand, describe} from '../../base.js'
import {tenantArg, transferModeFlag} from '../../flags.js'
import type {TransferMode} from '../../lib/db/citus-ops.js'
import type {TenantIsolateResult} from '../../lib/results.js'

export default class TenantIsolate extends BaseCommand<typeof TenantIsolate> {
  static override description = describe(
    `Citus only: move a tenant to a shard of its own, for a large tenant. Its rows of every tenant table move together (isolate_tenant_to_new_shard with CASCADE) and stay on the node they are on; tenant move then moves them alone.

With --transfer-mode auto (the default) by logical replication where PostgreSQL allows it with row-level security (16 and later): the tenant's reads and writes go on during the copy; on PostgreSQL 15 auto is block_writes: reads go on, writes wait until the copy is done. Reports the tenant's new shard ids and the time taken; a tenant already alone in its shard is left as it is (isolated: false). On plain PostgreSQL it is refused with CITUS_REQUIRED.`,
  )
  static override examples = [
    '<%= config.bin %> tenant isolate big-customer',
    '<%= config.bin %> tenant isolate big-customer --transfer-mode force_logical --json',
  ]
  static override args = {tenant: tenantArg}
  static override flags = {...transferModeFlag}

  async run(): Promise<TenantIsolateResult> {
    const {isolateTenant} = await import('../../lib/db/citus-ops.js')
    const {symbols, table} = await import('../../ui/format.js')
    const {sql} = await this.database()
    this.interruption = {note: () => 'the isolation was cancelled with its connection; Citus removes what it had copied, and the tenant stays in its shard'}
    const result = await isolateTenant(sql, this.args.tenant, {transferMode: this.flags['transfer-mode'] as TransferMode}, await this.context())
    const where = `${result.node.host}:${result.node.port}`
    if (!result.isolated) {
      this.log(`${symbols.ok} ${result.subdomain} is alone in its shard already (shard ${result.shardId} on ${where}); nothing was done`)
      return result
    }
    this.log(`${symbols.ok} ${result.subdomain}: shard ${result.previousShardId} → ${result.shardId} of its own on ${where}, in ${(result.durationMs / 1000).toFixed(1)} s`)
    this.log(table(['table', 'shard'], result.shards.map((s) => [s.table, s.shardId])))
    return result
  }
}
