/** Flags shared by several commands, and how their values map to the domain's input fields. */
import {Args, Flags} from '@oclif/core'

import type {TransferMode} from './lib/db/citus-ops.js'

/** The tenant a command acts on: its subdomain or id. */
export const tenantArg = Args.string({description: 'subdomain or tenant id', required: true})

export const limitFlags = {
  'max-assets': Flags.string({description: "asset limit (default: the plan's)", helpValue: 'N', helpGroup: 'LIMITS'}),
  'max-users': Flags.string({description: "user limit (default: the plan's)", helpValue: 'N', helpGroup: 'LIMITS'}),
  'max-devices': Flags.string({description: "device limit (default: the plan's)", helpValue: 'N', helpGroup: 'LIMITS'}),
  'storage-quota': Flags.string({description: "storage quota in GB (default: the plan's)", helpValue: 'GB', helpGroup: 'LIMITS'}),
}

export const featureFlag = {
  feature: Flags.string({description: 'enable or disable a feature, beyond the plan (repeatable)', helpValue: 'NAME=true|false', multiple: true}),
}

export const securityFlags = {
  'enable-2fa': Flags.boolean({description: 'require two-factor authentication', allowNo: true, helpGroup: 'SECURITY'}),
  'session-timeout': Flags.string({description: 'session timeout in minutes (5-43200, default 480)', helpValue: 'MINUTES', helpGroup: 'SECURITY'}),
  'password-min-length': Flags.string({description: 'minimum password length (8-72, default 8)', helpValue: 'N', helpGroup: 'SECURITY'}),
  'require-uppercase': Flags.boolean({description: 'passwords need an uppercase letter (default on)', allowNo: true, helpGroup: 'SECURITY'}),
  'require-lowercase': Flags.boolean({description: 'passwords need a lowercase letter (default on)', allowNo: true, helpGroup: 'SECURITY'}),
  'require-numbers': Flags.boolean({description: 'passwords need a digit (default on)', allowNo: true, helpGroup: 'SECURITY'}),
  'require-symbols': Flags.boolean({description: 'passwords need a symbol (default off)', allowNo: true, helpGroup: 'SECURITY'}),
  'password-history': Flags.string({description: 'previous passwords that cannot be reused (0-24, default 0)', helpValue: 'N', helpGroup: 'SECURITY'}),
  'allow-ip': Flags.string({description: 'allow logins only from this CIDR range, IPv4 or IPv6 (repeatable)', helpValue: 'CIDR', multiple: true, helpGroup: 'SECURITY'}),
}

type LimitFlagValues = {[K in keyof typeof limitFlags]?: string}
type SecurityFlagValues = {
  'enable-2fa'?: boolean
  'session-timeout'?: string
  'password-min-length'?: string
  'require-uppercase'?: boolean
  'require-lowercase'?: boolean
  'require-numbers'?: boolean
  'require-symbols'?: boolean
  'password-history'?: string
}

export const limitsFromFlags = (f: LimitFlagValues) => ({
  maxAssets: f['max-assets'],
  maxUsers: f['max-users'],
  maxDevices: f['max-devices'],
  storageQuotaGb: f['storage-quota'],
})

export async function featuresFromFlags(values: string[] | undefined): Promise<Record<string, boolean> | undefined> {
  if (!values || values.length === 0) return undefined
  const {parseToggle} = await import('./lib/validation.js')
  return Object.fromEntries(values.map((v) => parseToggle(v, 'feature')))
}

/** 2FA, session timeout and the password policy fields that were given. */
export function securityFromFlags(f: SecurityFlagValues) {
  const policy = Object.fromEntries(
    Object.entries({
      minLength: f['password-min-length'],
      requireUppercase: f['require-uppercase'],
      requireLowercase: f['require-lowercase'],
      requireNumbers: f['require-numbers'],
      requireSymbols: f['require-symbols'],
      passwordHistory: f['password-history'],
    }).filter(([, v]) => v !== undefined),
  )
  return {
    enable2fa: f['enable-2fa'],
    sessionTimeoutMinutes: f['session-timeout'],
    passwordPolicy: Object.keys(policy).length > 0 ? policy : undefined,
  }
}

/** Domain input keys as the flags that set them, for error messages. */
const FLAG_FOR: Record<string, string> = {
  plan: '--plan',
  contactEmail: '--contact-email',
  ownerEmail: '--owner-email',
  ownerPassword: '--owner-password',
  maxAssets: '--max-assets',
  maxUsers: '--max-users',
  maxDevices: '--max-devices',
  storageQuotaGb: '--storage-quota',
  customDomain: '--custom-domain',
  features: '--feature',
  settings: '--setting',
  unset: '--unset',
  enable2fa: '--enable-2fa',
  sessionTimeoutMinutes: '--session-timeout',
  allowedIpRanges: '--allow-ip',
  allowIps: '--allow-ip',
  removeIps: '--remove-ip',
  'passwordPolicy.minLength': '--password-min-length',
  'passwordPolicy.passwordHistory': '--password-history',
  email: 'EMAIL',
  role: '--role',
  permissions: '--permission',
  expiresDays: '--expires-days',
}

/** A field name for errors: the flag or argument that sets it. */
export const flagFieldName = (args: Record<string, string> = {}) => (path: PropertyKey[]) => {
  const key = path.slice(0, 2).join('.')
  return args[String(path[0])] ?? FLAG_FOR[key] ?? FLAG_FOR[String(path[0])] ?? path.join('.')
}

/**
 * The flags of every list command: pages (--limit, --after, --all) and output
 * (--columns, --csv, --no-header, --no-truncate). `defaultLimit` is the page size.
 */
export const listFlags = (defaultLimit: number) => ({
  limit: Flags.integer({description: `rows on a page (default ${defaultLimit}, at most 10000)`, default: defaultLimit, min: 1, max: 10_000, helpValue: 'N', helpGroup: 'LIST'}),
  after: Flags.string({description: 'the page after this cursor: the nextCursor of the page before', helpValue: 'CURSOR', helpGroup: 'LIST'}),
  all: Flags.boolean({description: 'every row, streamed page by page (--limit is the page size)', helpGroup: 'LIST'}),
  columns: Flags.string({description: 'only these columns, in this order', helpValue: 'a,b,c', helpGroup: 'LIST'}),
  csv: Flags.boolean({description: 'CSV: a header and one record a row', exclusive: ['json'], helpGroup: 'LIST'}),
  'no-header': Flags.boolean({description: 'no header row (table or CSV)', helpGroup: 'LIST'}),
  'no-truncate': Flags.boolean({description: 'never cut a cell to fit the terminal', helpGroup: 'LIST'}),
})

/** --sort for a list with these sort fields (the first is the default). */
export const sortFlag = (fields: readonly string[]) => ({
  sort: Flags.string({description: `sort by ${fields.join(', ')}; - before it for descending (default ${fields[0]})`, helpValue: 'FIELD', helpGroup: 'LIST'}),
})

/** How Citus copies shards (tenant isolate, tenant move, db rebalance): logical replication by default, writes going on. */
export const transferModeFlag = {
  'transfer-mode': Flags.string({
    description: 'auto: by logical replication, writes going on, where PostgreSQL allows it with row-level security (16 and later; on 15 auto is block_writes); force_logical: always so (refused on 15); block_writes: writes to the moved shards wait until the copy is done',
    options: ['auto', 'force_logical', 'block_writes'] satisfies TransferMode[],
    default: 'auto',
  }),
}
