/** The guide's "RLS Policy Issues" procedure (`tenant migrate --setup-rls`) as one call. */
import type {Sql} from 'postgres'

import type {Context} from './context.js'
import {AppError, ExitCode} from './errors.js'
import {leakProbe, repairRls} from './rls.js'
import {getTenant} from './tenants.js'

export interface RlsSetupResult {
  /** the statements that repaired row-level security (none with `plan`) */
  repaired: string[]
  /** with a tenant: the rows of it the leak probe saw from outside (always 0: more is RLS_LEAK) */
  leaks?: number
}

export interface RlsSetupOptions {
  /** repair nothing: only probe */
  plan?: boolean
  /** the tenant (subdomain or id) to run the leak probe for */
  tenant?: string
  /** the repairs, once committed (not called with `plan`), before the leak probe runs */
  onRepaired?: (repaired: string[]) => void
}

/**
 * Make every table with a tenant_id column policed as rlsProblems requires, in
 * one transaction (nothing with `plan`), then, for a tenant, run the leak
 * probe: RLS_LEAK (exit failed) when any of its rows is visible from another
 * tenant's context or with no tenant set.
 */
export async function setupRls(sql: Sql, options: RlsSetupOptions, ctx: Context): Promise<RlsSetupResult> {
  const repaired = options.plan ? [] : ((await sql.begin((tx) => repairRls(tx))) as string[])
  if (!options.plan) options.onRepaired?.(repaired)
  const result: RlsSetupResult = {repaired}
  if (options.tenant !== undefined) {
    const probe = await leakProbe(sql, (await getTenant(sql, options.tenant, ctx.baseDomain)).id)
    result.leaks = probe.leaks
    if (probe.leaks > 0) throw new AppError('RLS_LEAK', `The leak probe sees ${probe.leaks} of this tenant's rows from outside it.`, {exit: ExitCode.failed, details: {...probe}})
  }
  return result
}
