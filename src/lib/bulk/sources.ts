/**
 * Bulk inputs as a stream of rows: CSV (one tenant a record) or the
 * guide's JSON configuration, read from an Input the caller opens (a file, an
 * HTTP request body) (an array of {tenant, users, features, settings}).
 * Each row carries the tenant input in the shape the tenant schema parses,
 * the members to invite, and any problem found while reading it.
 */
import {AppError, ValidationErrors} from '../errors.js'
import {type Input, readText, unreadable} from '../input.js'
import type {TenantInput} from '../tenants.js'
import {isSettingKey, parseSettingValue, parseToggle, settingConflict, settingPath, settingPathConflict, setSettingPath} from '../validation.js'
import {csvRecords} from './csv-records.js'

export interface MemberInput {
  email: unknown
  role: unknown
  permissions?: unknown
}

export interface SourceRow {
  /** CSV: the file line the record starts on; JSON: the 1-based position in the array */
  line: number
  /** the tenant's name as given, for summaries */
  label: string
  input: TenantInput
  members: MemberInput[]
  /** problems found while reading (bad cells, wrong column count, bad JSON shapes) */
  errors: AppError[]
  /** the input field (camelCase path) to the column or key that set it */
  fieldName: (path: PropertyKey[]) => string
}

export interface Source {
  kind: 'csv' | 'json'
  /** the bytes, opened again for each pass over them */
  input: Input
  /** the rows in file order, a batch at a time (one promise a batch, not a row) */
  batches(): AsyncGenerator<SourceRow[]>
}

/** CSV columns and the tenant input field each sets. */
export const CSV_COLUMNS: Record<string, string> = {
  name: 'name',
  subdomain: 'subdomain',
  plan: 'plan',
  contact_email: 'contactEmail',
  owner_email: 'ownerEmail',
  max_assets: 'maxAssets',
  max_users: 'maxUsers',
  max_devices: 'maxDevices',
  storage_quota_gb: 'storageQuotaGb',
  custom_domain: 'customDomain',
  features: 'features',
  enable_2fa: 'enable2fa',
  session_timeout_minutes: 'sessionTimeoutMinutes',
  allowed_ip_ranges: 'allowedIpRanges',
}
/** Setting columns: these names, and any `settings.KEY` (dotted keys nest). */
export const CSV_SETTING_COLUMNS = ['timezone', 'theme', 'locale', 'language']
const REQUIRED = ['name', 'subdomain']

// The templates' tenants are not the quick start's acme-corp, so either file
// provisions as it is, right after the quick start (and after each other).
export const CSV_TEMPLATE = [
  'name,subdomain,plan,contact_email,owner_email,max_assets,max_users,max_devices,storage_quota_gb,custom_domain,features,timezone',
  'Example Signage,example-signage,professional,billing@example.com,admin@example.com,750,40,,,,analytics_dashboard;api_access;custom_branding=false,America/New_York',
].join('\n')

/** The provisioning guide's configuration file example, for `tenant provision --template`. */
export const CONFIG_TEMPLATE = JSON.stringify(
  [
    {
      tenant: {name: 'Example Retail', subdomain: 'example-retail', plan_type: 'professional', contact_email: 'billing@example.org', max_assets: 750, max_users: 40},
      users: [
        {email: 'admin@example.org', role: 'owner'},
        {email: 'manager@example.org', role: 'admin'},
      ],
      features: {analytics_dashboard: true, api_access: true, custom_branding: false},
      settings: {theme: 'corporate', timezone: 'America/New_York', notifications: {email: true, in_app: true}},
    },
  ],
  null,
  2,
)

const COLUMN_FOR = Object.fromEntries(Object.entries(CSV_COLUMNS).map(([column, field]) => [field, column]))

const isSettingColumn = (c: string) => CSV_SETTING_COLUMNS.includes(c) || (c.startsWith('settings.') && isSettingKey(c.slice(9)))
/** A setting column's dotted key: timezone, or notifications.email for settings.notifications.email. */
const settingKeyOf = (column: string) => column.replace(/^settings\./, '')

function checkHeader(header: string[]): string[] {
  const columns = header.map((h) => h.trim().toLowerCase())
  const errors: AppError[] = []
  const seen = new Set<string>()
  columns.forEach((column, i) => {
    if (seen.has(column)) errors.push(new AppError('CSV_DUPLICATE_COLUMN', `Column "${column}" appears twice.`, {line: 1, field: column}))
    seen.add(column)
    if (isSettingColumn(column)) {
      try {
        settingPath(settingKeyOf(column), column, 1)
      } catch (error) {
        errors.push(error as AppError)
      }
    } else if (!Object.hasOwn(CSV_COLUMNS, column)) {
      errors.push(new AppError('CSV_UNKNOWN_COLUMN', `Unknown column "${header[i]}" (column ${i + 1}).`, {
        line: 1,
        field: header[i],
        suggestions: [`Columns: ${[...Object.keys(CSV_COLUMNS), ...CSV_SETTING_COLUMNS].join(', ')}, or settings.KEY; see --template.`],
      }))
    }
  })
  const settingColumns = columns.filter(isSettingColumn)
  const conflict = settingPathConflict(settingColumns.map(settingKeyOf))
  if (conflict) errors.push(settingConflict(conflict, settingColumns.find((c) => settingKeyOf(c) === conflict[1])!, 1))
  for (const column of REQUIRED) {
    if (!seen.has(column)) errors.push(new AppError('CSV_MISSING_COLUMN', `The header has no "${column}" column.`, {line: 1, field: column, suggestions: ['Print a valid header with --template.']}))
  }
  if (errors.length > 0) throw new ValidationErrors(errors)
  return columns
}

/** Reads one column's (trimmed, non-empty) cell into the tenant input. */
type CellReader = (cell: string, input: Record<string, unknown>, errors: AppError[], line: number) => void

function cellReader(column: string): CellReader {
  if (isSettingColumn(column)) {
    const path = settingPath(settingKeyOf(column), column, 1)
    return (cell, input) => setSettingPath((input.settings ??= {}) as Record<string, unknown>, path, parseSettingValue(cell))
  }
  switch (column) {
    case 'features':
      return (cell, input, errors, line) => {
        try {
          const features: Record<string, boolean> = {}
          for (const part of cell.split(/[;|]/)) {
            if (part.trim() === '') continue
            const [name, on] = parseToggle(part, 'feature')
            features[name] = on
          }
          input.features = features
        } catch (error) {
          errors.push(new AppError((error as AppError).code, (error as AppError).message, {line, field: column}))
        }
      }
    case 'allowed_ip_ranges':
      return (cell, input) => (input.allowedIpRanges = cell.split(/[;|\s]+/).filter(Boolean))
    case 'enable_2fa':
      return (cell, input) => (input.enable2fa = /^(true|yes|1|on)$/i.test(cell))
    default: {
      const field = CSV_COLUMNS[column]!
      return (cell, input) => (input[field] = cell)
    }
  }
}

type CsvRowReader = (cells: string[], line: number, notUtf8: boolean) => SourceRow

/** For a header's columns: a record's cells as a row (one reader a column, chosen once). */
function csvRowReader(columns: string[]): CsvRowReader {
  const readers = columns.map(cellReader)
  return (cells, line, notUtf8) => {
    const errors: AppError[] = []
    const input: Record<string, unknown> = {}
    if (cells.length !== columns.length) {
      errors.push(new AppError('CSV_COLUMN_COUNT', `Line ${line} has ${cells.length} fields; the header has ${columns.length}.`, {line, suggestions: ['Quote fields that contain commas.']}))
    }
    for (let i = 0; i < readers.length && i < cells.length; i++) {
      const cell = cells[i]!.trim()
      if (cell === '') continue
      // bytes that are not UTF-8 decode to U+FFFD: refuse them rather than store the replacement
      if (notUtf8 && cell.includes('\uFFFD')) {
        errors.push(new AppError('CSV_ENCODING', `Line ${line}, column ${columns[i]}: the text is not valid UTF-8.`, {line, field: columns[i], suggestions: ['Save the file as UTF-8 (in Excel: "CSV UTF-8").']}))
        continue
      }
      readers[i]!(cell, input, errors, line)
    }
    return {
      line,
      label: String(input.name ?? input.subdomain ?? `line ${line}`),
      input: input as TenantInput,
      members: [],
      errors,
      fieldName: csvFieldName,
    }
  }
}

const csvFieldName = (path: PropertyKey[]) => COLUMN_FOR[String(path[0])] ?? (path[0] === 'settings' ? `settings.${path.slice(1).join('.')}` : path.join('.'))

const malformedRecord = ({line, message}: {line: number; message: string}) =>
  new AppError('CSV_MALFORMED', `Line ${line}: ${message}`, {line, suggestions: ['Quote fields that contain commas, quotes or line breaks, and double quotes inside them ("").']})

const failedRow = (error: AppError): SourceRow => ({line: error.line ?? 0, label: `line ${error.line}`, input: {} as TenantInput, members: [], errors: [error], fieldName: String})

/** The rows of a CSV input, a batch at a time; records that cannot be parsed come back as rows with a CSV_MALFORMED error. */
async function* csvRows(input: Input): AsyncGenerator<SourceRow[]> {
  let row: CsvRowReader | undefined
  try {
    for await (const {records, malformed, notUtf8} of csvRecords(input)) {
      const batch = malformed.map((m) => failedRow(malformedRecord(m)))
      for (const record of records) {
        if (row) batch.push(row(record.cells, record.line, notUtf8))
        else row = csvRowReader(checkHeader(record.cells))
      }
      if (malformed.length > 0) batch.sort((a, b) => a.line - b.line)
      if (batch.length > 0) yield batch
    }
  } catch (error) {
    if (error instanceof AppError) throw error
    throw unreadable(input.name, 'FILE', error)
  }
  if (!row) throw new AppError('CSV_EMPTY', `${input.name} has no header line.`, {line: 1, suggestions: ['Print a valid header with --template.']})
}

export function csvSource(input: Input): Source {
  return {kind: 'csv', input, batches: () => csvRows(input)}
}

const snakeToCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** One entry of the guide's configuration file. */
function configRow(entry: unknown, index: number): SourceRow {
  const line = index + 1
  const errors: AppError[] = []
  const at = (field: string) => `[${index}].${field}`
  const obj = (entry ?? {}) as Record<string, unknown>
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    errors.push(new AppError('CONFIG_INVALID', `Entry ${line} must be an object with "tenant", "users", "features" and "settings".`, {line, field: `[${index}]`}))
  }
  const tenant = (obj.tenant ?? {}) as Record<string, unknown>
  if (typeof obj.tenant !== 'object' || obj.tenant === null || Array.isArray(obj.tenant)) {
    errors.push(new AppError('CONFIG_INVALID', `Entry ${line} has no "tenant" object.`, {line, field: at('tenant')}))
  }
  const input: Record<string, unknown> = {}
  const keyFor: Record<string, string> = {}
  for (const [key, value] of Object.entries(tenant)) {
    const field = key === 'plan_type' ? 'plan' : snakeToCamel(key)
    if (!Object.hasOwn(COLUMN_FOR, field) || field === 'features') {
      errors.push(new AppError('CONFIG_UNKNOWN_KEY', `Unknown key tenant.${key} in entry ${line}.`, {line, field: at(`tenant.${key}`), suggestions: [`Keys: name, subdomain, plan_type, ${Object.keys(CSV_COLUMNS).slice(3).filter((k) => k !== 'features').join(', ')}`]}))
      continue
    }
    input[field] = value
    keyFor[field] = key
  }
  for (const key of Object.keys(obj)) {
    if (!['tenant', 'users', 'features', 'settings'].includes(key)) {
      errors.push(new AppError('CONFIG_UNKNOWN_KEY', `Unknown key "${key}" in entry ${line}.`, {line, field: at(key), suggestions: ['Keys: tenant, users, features, settings.']}))
    }
  }
  if (obj.features !== undefined) input.features = obj.features
  if (obj.settings !== undefined) input.settings = obj.settings
  const users = obj.users ?? []
  if (!Array.isArray(users)) errors.push(new AppError('CONFIG_INVALID', `"users" in entry ${line} must be an array.`, {line, field: at('users')}))
  const members = (Array.isArray(users) ? users : []) as MemberInput[]
  return {
    line,
    label: String(tenant.name ?? tenant.subdomain ?? `entry ${line}`),
    input: input as TenantInput,
    members,
    errors,
    fieldName: (path) => {
      const [head, ...rest] = path.map(String)
      if (head === 'features' || head === 'settings') return at([head, ...rest].join('.'))
      if (head === 'users') return `[${index}].users[${rest[0]}]${rest.length > 1 ? `.${rest.slice(1).join('.')}` : ''}`
      return at(`tenant.${keyFor[head!] ?? head}${rest.length > 0 ? `.${rest.join('.')}` : ''}`)
    },
  }
}

export function configSource(input: Input): Source {
  return {
    kind: 'json',
    input,
    async *batches() {
      const text = await readText(input, 'FILE')
      let entries: unknown
      try {
        entries = JSON.parse(text)
      } catch (error) {
        throw new AppError('JSON_INVALID', `${input.name} is not valid JSON: ${(error as Error).message}`, {field: 'FILE', cause: error})
      }
      if (!Array.isArray(entries)) {
        throw new AppError('CONFIG_INVALID', `${input.name} must hold a JSON array of tenant configurations, as in the provisioning guide.`, {field: 'FILE'})
      }
      for (let i = 0; i < entries.length; i += 1000) yield entries.slice(i, i + 1000).map((entry, j) => configRow(entry, i + j))
    },
  }
}
