import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {TenantMigrateResult} from '../../lib/results.js'
import type {RlsSetupResult} from '../../lib/rls-setup.js'

export default class TenantMigrate extends BaseCommand<typeof TenantMigrate> {
  static override hiddenAliases = ['migrate_tenant']
  static override description = describe(
    `Apply the per-tenant data migrations in sql/tenant, one tenant at a time: each migration is one transaction as the application role with the tenant set, so row-level security confines it to that tenant's rows.

A tenant migration holds data statements only: before any tenant is touched, a script with transaction control (COMMIT, BEGIN, SAVEPOINT...), SET/RESET/DISCARD, DO blocks, DDL, or calls such as set_config() is refused (TENANT_MIGRATION_FORBIDDEN, exit 2, naming the file and line). Scripts run on a login of their own without superuser or BYPASSRLS, and the role and tenant are checked again after each script (TENANT_MIGRATION_ESCAPED rolls it back).

--setup-rls makes sure every table with a tenant_id column has row-level security enabled and forced, the tenant_isolation policy present and correct, and the application role its grants and no BYPASSRLS; it repairs what "tenant verify" reports, then runs the leak probe for the tenant. It is the guide's "RLS Policy Issues" procedure as one command.

--all migrates every tenant with pending migrations (found in one query), --batch-size tenants to a transaction (one commit for them all), each tenant's migrations under savepoints of their own: a tenant that fails is rolled back alone, the others of its batch are kept, and a tenant's migrations commit with its ledger rows or not at all, so an interrupted run leaves each tenant migrated or untouched. A failure in one tenant never touches another. Exit 68 when some tenants failed.`,
  )
  static override examples = [
    '<%= config.bin %> migrate_tenant --tenant client-org --setup-rls',
    '<%= config.bin %> migrate_tenant --tenant acme-corp --plan',
    '<%= config.bin %> migrate_tenant --tenant acme-corp --fake-initial',
    '<%= config.bin %> migrate_tenant --tenant acme-corp --backwards',
    '<%= config.bin %> tenant migrate --all --concurrency 8 --continue-on-error --json',
    '<%= config.bin %> tenant migrate --all --batch-size 1',
  ]
  static override flags = {
    tenant: Flags.string({description: 'subdomain or tenant id', helpValue: 'T', exactlyOne: ['tenant', 'all']}),
    all: Flags.boolean({description: 'every tenant with pending migrations'}),
    plan: Flags.boolean({description: 'list pending migrations; change nothing'}),
    'fake-initial': Flags.boolean({description: 'record the initial migration as applied when its effects are already present'}),
    backwards: Flags.boolean({description: 'revert the last applied migration (or down to --to)', exclusive: ['all', 'fake-initial']}),
    to: Flags.integer({description: 'with --backwards: revert down to this version (kept)', dependsOn: ['backwards'], min: 0}),
    'setup-rls': Flags.boolean({description: 'check and repair row-level security, then run the leak probe'}),
    concurrency: Flags.integer({description: 'with --all: tenants migrated at once', default: 4, min: 1, max: 32}),
    'batch-size': Flags.integer({description: 'with --all: tenants per transaction, each under a savepoint of its own (default 50; 1: a transaction per tenant, as always on Citus)', min: 1, max: 1000, dependsOn: ['all']}),
    'continue-on-error': Flags.boolean({description: 'with --all: keep going after a tenant fails (exit 68)'}),
    'only-failed': Flags.boolean({description: 'with --all: only tenants whose last attempt failed', dependsOn: ['all']}),
  }

  async run(): Promise<TenantMigrateResult> {
    const f = this.flags
    const {sql} = await this.database()
    const ctx = await this.context()
    const {symbols, table} = await import('../../ui/format.js')
    let rls: RlsSetupResult | undefined
    if (f['setup-rls']) {
      const {setupRls} = await import('../../lib/rls-setup.js')
      rls = await setupRls(sql, {
        plan: f.plan,
        tenant: f.tenant,
        onRepaired: (repaired) => {
          for (const s of repaired) this.log(`${symbols.ok} ${s}`)
          this.log(`${symbols.ok} Row-level security: ${repaired.length === 0 ? 'already in order' : `${repaired.length} repair(s)`}`)
        },
      }, ctx)
      if (f.tenant) this.log(`${symbols.ok} Leak probe: no rows visible from another tenant's context or with no tenant set`)
    }
    if (f.all) {
      const {migrateAllOutcome, migrateAllTenants} = await import('../../lib/tenant-migrations.js')
      let counts = {migrated: 0, total: 0}
      const result = await this.withProgress(
        [{key: 'migrate', title: 'Migrate tenants', unit: 'tenants'}],
        () => `${counts.migrated} tenants migrated, ${counts.total - counts.migrated} not; re-run to finish`,
        (onProgress) => migrateAllTenants(sql, {
          concurrency: f.concurrency, batchSize: f['batch-size'], continueOnError: f['continue-on-error'], onlyFailed: f['only-failed'], plan: f.plan,
          onProgress(p) {
            counts = {migrated: p.counts?.migrated ?? 0, total: p.totalRows ?? 0}
            onProgress(p)
          },
        }, ctx),
      )
      for (const w of result.warnings) this.warn(w)
      const failed = result.outcomes.filter((o) => o.status === 'failed')
      if (result.pending === 0) this.log(`${symbols.ok} All ${result.tenants} tenants are up to date (${result.durationMs} ms).`)
      else if (f.plan) this.log(`${result.pending} of ${result.tenants} tenants have pending migrations.`)
      else this.log(`Migrated ${result.migrated}, failed ${result.failed}, skipped ${result.skipped} of ${result.pending} tenants with pending migrations (${result.durationMs} ms).`)
      if (failed.length > 0) this.log(table(['tenant', 'status', 'ms', 'error'], failed.map((o) => [o.subdomain, o.status, o.durationMs, `${o.error?.code}: ${o.error?.message}`])))
      const outcome = migrateAllOutcome(result, f['continue-on-error'])
      if (outcome) this.fail(outcome)
      return {...result, rls}
    }
    const {migrateTenant} = await import('../../lib/tenant-migrations.js')
    const result = await migrateTenant(sql, f.tenant!, {plan: f.plan, fakeInitial: f['fake-initial'], backwards: f.backwards, to: f.to}, ctx)
    for (const w of result.warnings) this.warn(w)
    for (const m of result.applied) this.log(`${symbols.ok} ${m.faked ? 'faked' : 'applied'} ${String(m.version).padStart(4, '0')} ${m.name} (${m.durationMs} ms)`)
    for (const m of result.reverted) this.log(`${symbols.ok} reverted ${String(m.version).padStart(4, '0')} ${m.name}`)
    if (f.plan) for (const m of result.pending) this.log(`pending ${String(m.version).padStart(4, '0')} ${m.name}`)
    if (result.applied.length + result.reverted.length === 0 && !(f.plan && result.pending.length > 0)) this.log(`${symbols.ok} ${result.subdomain}: nothing to do`)
    return {...result, rls}
  }
}
