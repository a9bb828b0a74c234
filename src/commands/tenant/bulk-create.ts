import {describe} from '../../base.js'
import {BulkCommand} from '../../bulk-command.js'
import type {Source} from '../../lib/bulk/sources.js'
import type {Input} from '../../lib/input.js'

export default class TenantBulkCreate extends BulkCommand<typeof TenantBulkCreate> {
  static override hiddenAliases = ['bulk_create_tenants']
  static override description = describe(
    `Create tenants from a CSV file: every row is validated first (all problems reported at once, with line and column), then new tenants are created in batches, each tenant whole or not at all.

Columns (a header is required; unknown columns are refused): name, subdomain, plan, contact_email, owner_email, max_assets, max_users, max_devices, storage_quota_gb, custom_domain, features (e.g. analytics_dashboard;api_access;custom_branding=false), enable_2fa, session_timeout_minutes, allowed_ip_ranges (;-separated), and settings: timezone, theme, locale, language or settings.KEY. BOM, CRLF and quoted fields with commas and line breaks are fine. Owners get one-time invitation tokens (see --report).

A re-run of the same file reports the tenants it already created as unchanged and completes the rest. Exit 68 when some rows failed.`,
  )
  static override examples = [
    '<%= config.bin %> tenant bulk-create --template > tenants.csv',
    '<%= config.bin %> bulk_create_tenants tenants.csv --dry-run',
    '<%= config.bin %> bulk_create_tenants tenants.csv --report results.csv',
    '<%= config.bin %> tenant bulk-create tenants.csv --concurrency 4 --rate 50 --json > report.json',
    '<%= config.bin %> tenant bulk-create tenants.csv --queue --rate 50   # then: anthias worker; anthias run wait RUN_ID',
  ]

  protected async source(input: Input): Promise<Source> {
    const {csvSource} = await import('../../lib/bulk/sources.js')
    return csvSource(input)
  }

  protected async template(): Promise<string> {
    const {CSV_TEMPLATE} = await import('../../lib/bulk/sources.js')
    return CSV_TEMPLATE
  }
}
