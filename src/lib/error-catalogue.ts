import type {Action} from './errors.js'

/**
 * Every error code the library and its front ends raise, with its kind: what
 * sort of failure it is, which each front end turns into its own signal (the
 * CLI an exit code, src/exit-codes.ts; the HTTP API a status, HTTP_STATUS
 * below). `ErrorCode` is the union of the keys: `new AppError('TYPO', ...)`
 * does not compile. A `message` is the text, and `actions` the suggestions,
 * when the caller gives none.
 *
 * Kinds:
 * - invalid: the input is wrong (a flag, an argument, a file's content)
 * - notFound: what the input names does not exist
 * - conflict: the input is fine but the state refuses it (taken, in use, full)
 * - unavailable: the database (or the embedded server) cannot be reached
 * - failed: the operation failed for a reason the input did not cause
 * - partial: some of the work was done, some failed
 * - interrupted: stopped by the user (Ctrl-C)
 * - breaches: a check ran and found thresholds breached (monitor check)
 *
 * Kinds only the HTTP API raises (anthias serve, src/server):
 * - unauthorized: no operator token, or one that is unknown, expired or revoked
 * - forbidden: the token lacks the route's scope
 * - preconditionFailed: If-Match names another version than the current one
 * - preconditionRequired: an update without If-Match
 * - unprocessable: an Idempotency-Key reused with another request
 * - rateLimited: the token's request rate is over its limit
 */
export type ErrorKind =
  | 'invalid' | 'notFound' | 'conflict' | 'unavailable' | 'failed' | 'partial' | 'interrupted' | 'breaches'
  | 'unauthorized' | 'forbidden' | 'preconditionFailed' | 'preconditionRequired' | 'unprocessable' | 'rateLimited'

export interface CatalogueEntry {
  kind: ErrorKind
  /** the message when the caller gives none */
  message?: string
  /** what to do next when the caller suggests nothing */
  actions?: readonly Action[]
}

const listTenants = [{command: 'tenant.list', text: 'List tenants with `{command}`.'}] as const

const invalid = {kind: 'invalid'} as const
const notFound = {kind: 'notFound'} as const
const conflict = {kind: 'conflict'} as const
const unavailable = {kind: 'unavailable'} as const
const failed = {kind: 'failed'} as const

export const ERROR_CATALOGUE = {
  // input: command line, values, files
  USAGE: invalid,
  UNKNOWN_COMMAND: invalid,
  UNKNOWN_FLAG: invalid,
  MISSING_INPUT: invalid,
  INVALID_INPUT: invalid,
  TEXT_ENCODING: invalid,
  TEXT_CONTROL_CHARACTER: invalid,
  TIMEOUT_INVALID: invalid,
  CONFIRMATION_REQUIRED: invalid,
  CONFIRMATION_MISMATCH: invalid,
  FILE_UNREADABLE: invalid,
  FILE_ENCODING: invalid,
  INPUT_TOO_LARGE: invalid,
  JSON_INVALID: invalid,
  // tenants
  NAME_INVALID: invalid,
  SUBDOMAIN_INVALID: invalid,
  SUBDOMAIN_RESERVED: invalid,
  SUBDOMAIN_TAKEN: conflict,
  /** subdomain check: taken (conflict), or invalid or reserved (raised with kind invalid) */
  SUBDOMAIN_UNAVAILABLE: conflict,
  CUSTOM_DOMAIN_INVALID: invalid,
  CUSTOM_DOMAIN_TAKEN: conflict,
  TENANT_NOT_FOUND: {kind: 'notFound', actions: listTenants},
  TENANT_ID_INVALID: {kind: 'invalid', actions: listTenants},
  TENANT_BUSY: conflict,
  STATUS_UNKNOWN: invalid,
  PLAN_UNKNOWN: invalid,
  PLAN_NOT_FOUND: notFound,
  FEATURE_UNKNOWN: invalid,
  FEATURE_INVALID: invalid,
  FEATURE_DISABLED: conflict,
  FEATURE_IN_USE: conflict,
  LIMIT_INVALID: invalid,
  LIMIT_BELOW_USAGE: conflict,
  /** the database refused an insert above a quota (a bulk row over its own limit is raised with kind invalid) */
  QUOTA_EXCEEDED: conflict,
  OWNER_EMAIL_REQUIRED: invalid,
  OWNER_MISSING: failed,
  PASSWORD_INVALID: invalid,
  PASSWORD_WEAK: invalid,
  // settings
  SETTING_INVALID: invalid,
  SETTING_KEY_FORBIDDEN: invalid,
  SETTING_NOT_FOUND: invalid,
  SETTING_NUL: invalid,
  SETTING_PATH_CONFLICT: invalid,
  SETTINGS_TOO_DEEP: invalid,
  SETTINGS_TOO_LARGE: invalid,
  // security
  CIDR_INVALID: invalid,
  CIDR_HOST_BITS: invalid,
  IP_RANGE_NOT_FOUND: invalid,
  POLICY_INVALID: invalid,
  SESSION_TIMEOUT_INVALID: invalid,
  // members, API keys, permissions
  EMAIL_INVALID: invalid,
  ROLE_INVALID: invalid,
  EXPIRY_INVALID: invalid,
  PERMISSION_INVALID: invalid,
  PERMISSION_UNKNOWN: invalid,
  MEMBER_EXISTS: conflict,
  MEMBER_ACTIVE: conflict,
  MEMBER_DUPLICATE: invalid,
  MEMBER_NOT_FOUND: notFound,
  LAST_OWNER: conflict,
  USER_CONFLICT: failed,
  APIKEY_NAME_INVALID: invalid,
  APIKEY_NAME_TAKEN: conflict,
  APIKEY_NOT_FOUND: notFound,
  // monitoring, audit, lists
  THRESHOLD_INVALID: invalid,
  CHANNEL_INVALID: invalid,
  THRESHOLDS_BREACHED: {kind: 'breaches'},
  ACTION_INVALID: invalid,
  TIME_INVALID: invalid,
  SORT_UNKNOWN: invalid,
  COLUMN_UNKNOWN: invalid,
  CURSOR_INVALID: invalid,
  // bulk creation and provisioning
  CSV_EMPTY: invalid,
  CSV_ENCODING: invalid,
  CSV_MALFORMED: invalid,
  CSV_COLUMN_COUNT: invalid,
  CSV_DUPLICATE_COLUMN: invalid,
  CSV_MISSING_COLUMN: invalid,
  CSV_UNKNOWN_COLUMN: invalid,
  CONFIG_INVALID: invalid,
  CONFIG_UNKNOWN_KEY: invalid,
  DUPLICATE_IN_FILE: invalid,
  REPORT_EXISTS: invalid,
  REPORT_UNWRITABLE: invalid,
  BULK_REFUSED: invalid,
  BULK_PARTIAL: {kind: 'partial'},
  RUN_INTERRUPTED: failed,
  VERIFY_FAILED: failed,
  DB_ERROR: failed,
  // backup and restore
  BACKUP_EXISTS: invalid,
  BACKUP_NOT_A_FILE: invalid,
  BACKUP_UNWRITABLE: invalid,
  BACKUP_NOT_FOUND: notFound,
  BACKUP_INVALID: invalid,
  BACKUP_SCHEMA_NEWER: invalid,
  BACKUP_OTHER_TENANT: invalid,
  TABLE_NOT_IN_BACKUP: invalid,
  TABLE_NOT_RECOVERABLE: invalid,
  RESTORE_COUNT_MISMATCH: failed,
  // migrations and row-level security
  MIGRATION_INVALID: failed,
  MIGRATION_MISSING: failed,
  MIGRATION_CHECKSUM_MISMATCH: failed,
  MIGRATION_IRREVERSIBLE: failed,
  MIGRATION_DOWN_FAILED: failed,
  MIGRATION_FAILED: failed,
  CITUS_DISTRIBUTION_FAILED: failed,
  // Citus operations (tenant isolate, tenant move, db rebalance)
  /** the command needs a Citus cluster (plain PostgreSQL, or tables not distributed yet) */
  CITUS_REQUIRED: invalid,
  CITUS_NODE_NOT_FOUND: notFound,
  CITUS_ALREADY_ON_NODE: conflict,
  CITUS_REBALANCE_RUNNING: conflict,
  /** another shard operation holds the tenant's shard group */
  CITUS_SHARD_BUSY: conflict,
  CITUS_SHARD_MOVE_FAILED: failed,
  /** force_logical on PostgreSQL 15, whose logical replication does not apply changes to tables with row-level security */
  CITUS_LOGICAL_UNSUPPORTED: invalid,
  TENANT_MIGRATION_MISSING: failed,
  TENANT_MIGRATION_CHECKSUM_MISMATCH: failed,
  TENANT_MIGRATION_IRREVERSIBLE: failed,
  TENANT_MIGRATION_FORBIDDEN: invalid,
  TENANT_MIGRATION_ESCAPED: failed,
  TENANT_MIGRATION_LOGIN_REQUIRED: failed,
  FAKE_INITIAL_UNSUPPORTED: invalid,
  FAKE_INITIAL_NOT_PRESENT: failed,
  MIGRATE_FAILED: failed,
  MIGRATE_PARTIAL: {kind: 'partial'},
  RLS_LEAK: failed,
  // the database
  DB_UNREACHABLE: unavailable,
  DB_NOT_FOUND: unavailable,
  EMBEDDED_UNAVAILABLE: unavailable,
  EMBEDDED_START_FAILED: unavailable,
  LOCK_TIMEOUT: failed,
  STATEMENT_TIMEOUT: failed,
  // anything else
  INTERRUPTED: {kind: 'interrupted', message: 'Interrupted; nothing was written.'},
  OPERATION_FAILED: failed,
  // provisioning runs, the queue and deliveries
  RUN_NOT_FOUND: notFound,
  RUN_ID_INVALID: invalid,
  RUN_NOT_QUEUED: conflict,
  /** POST /v1/runs: a file with problems (every one in errors[]); nothing was queued */
  RUN_REFUSED: {kind: 'unprocessable'},
  RUN_CANCELLED: failed,
  INTERVAL_INVALID: invalid,
  WEBHOOK_URL_INVALID: invalid,
  WEBHOOK_NOT_FOUND: notFound,
  WEBHOOK_NOT_REGISTERED: failed,
  EVENT_UNKNOWN: invalid,
  EVENT_UNSUPPORTED: invalid,
  DELIVERY_FAILED: failed,
  SMTP_NOT_CONFIGURED: failed,
  SLACK_NOT_CONFIGURED: failed,
  // operator tokens and the HTTP API (anthias serve)
  TOKEN_NAME_INVALID: invalid,
  TOKEN_NAME_TAKEN: conflict,
  TOKEN_NOT_FOUND: notFound,
  SCOPE_UNKNOWN: invalid,
  TOKEN_MISSING: {kind: 'unauthorized', message: 'This route needs an operator token: send Authorization: Bearer <token>.'},
  TOKEN_INVALID: {kind: 'unauthorized', message: 'The bearer token is not an operator token of this server.'},
  TOKEN_EXPIRED: {kind: 'unauthorized'},
  TOKEN_REVOKED: {kind: 'unauthorized'},
  SCOPE_MISSING: {kind: 'forbidden'},
  ROUTE_NOT_FOUND: notFound,
  CONTENT_TYPE_UNSUPPORTED: invalid,
  IF_MATCH_REQUIRED: {kind: 'preconditionRequired'},
  IF_MATCH_FAILED: {kind: 'preconditionFailed'},
  IDEMPOTENCY_KEY_INVALID: invalid,
  IDEMPOTENCY_KEY_REUSED: {kind: 'unprocessable'},
  IDEMPOTENCY_IN_PROGRESS: conflict,
  RATE_LIMITED: {kind: 'rateLimited'},
  SCHEMA_NOT_CURRENT: unavailable,
} as const satisfies Record<string, CatalogueEntry>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CATALOGUE, code)

/**
 * The HTTP status of each kind, for an HTTP front end: a partial run is a 207
 * whose body holds what was and was not done; breached thresholds are a
 * successful check (200) whose body says which.
 */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  notFound: 404,
  conflict: 409,
  unavailable: 503,
  failed: 500,
  partial: 207,
  interrupted: 499,
  breaches: 200,
  unauthorized: 401,
  forbidden: 403,
  preconditionFailed: 412,
  preconditionRequired: 428,
  unprocessable: 422,
  rateLimited: 429,
}
