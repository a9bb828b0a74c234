import {type Command} from '@oclif/core'

import {BaseCommand} from './base.js'
import {tenantArg} from './flags.js'
import type {StatusChangeResult} from './lib/results.js'
import type {TenantStatus} from './lib/tenant-list.js'

/** tenant suspend / tenant resume: set the status, nothing else. */
export abstract class StatusCommand<T extends typeof Command> extends BaseCommand<T> {
  static override args = {tenant: tenantArg}
  protected abstract readonly target: TenantStatus

  async run(): Promise<StatusChangeResult> {
    const {setTenantStatus} = await import('./lib/lifecycle.js')
    const {symbols} = await import('./ui/format.js')
    const result = await setTenantStatus((await this.database()).sql, this.args.tenant as string, this.target, await this.context())
    this.log(`${symbols.ok} ${result.subdomain}: ${result.before === result.after ? `already ${result.after}` : `${result.before} → ${result.after}`}`)
    return result
  }
}
