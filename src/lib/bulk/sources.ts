/**
 * Bulk inputs as a stream of rows: a CSV file (one tenant a record) or the
 * guide's JSON configuration (an array of {tenant, users, features, settings}).
 * Each row carries the tenant input in the shape the tenant schema parses,
 * the members to invite, and any problem found while reading it.
 */
import {createReadStream} from 'node:fs'
import {readFile} from 'node:fs/promises'

import {AppError, ExitCode, ValidationErrors} from '../errors.js'
import type {TenantInput} from '../tenants.js'
import {parseSettingValue, parseToggle} from '../validation.js'

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
  path: string
  /** the rows in file order, a batch at a time (one promise a batch, not a row) */
  batches(): AsyncGenerator<SourceRow[]>
}

/** Parsed CSV records, each with the line it starts on, and the records that could not be parsed. */
interface RecordBatch {
  columns: string[]
  records: {line: number; cells: string[]}[]
  failed: SourceRow[]
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

export const CSV_TEMPLATE = [
  'name,subdomain,plan,contact_email,owner_email,max_assets,max_users,max_devices,storage_quota_gb,custom_domain,features,timezone',
  'Acme Corporation,acme-corp,professional,billing@acme.com,admin@acme.com,750,40,,,,analytics_dashboard;api_access;custom_branding=false,America/New_York',
].join('\n')

const COLUMN_FOR = Object.fromEntries(Object.entries(CSV_COLUMNS).map(([column, field]) => [field, column]))

const isSettingColumn = (c: string) => CSV_SETTING_COLUMNS.includes(c) || /^settings\.[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(c)

function checkHeader(header: string[]): string[] {
  const columns = header.map((h) => h.trim().toLowerCase())
  const errors: AppError[] = []
  const seen = new Set<string>()
  columns.forEach((column, i) => {
    if (seen.has(column)) errors.push(new AppError('CSV_DUPLICATE_COLUMN', `Column "${column}" appears twice.`, {line: 1, field: column}))
    seen.add(column)
    if (!(column in CSV_COLUMNS) && !isSettingColumn(column)) {
      errors.push(new AppError('CSV_UNKNOWN_COLUMN', `Unknown column "${header[i]}" (column ${i + 1}).`, {
        line: 1,
        field: header[i],
        suggestions: [`Columns: ${[...Object.keys(CSV_COLUMNS), ...CSV_SETTING_COLUMNS].join(', ')}, or settings.KEY; see --template.`],
      }))
    }
  })
  for (const column of REQUIRED) {
    if (!seen.has(column)) errors.push(new AppError('CSV_MISSING_COLUMN', `The header has no "${column}" column.`, {line: 1, field: column, suggestions: ['Print a valid header with --template.']}))
  }
  if (errors.length > 0) throw new ValidationErrors(errors)
  return columns
}

const setPath = (target: Record<string, unknown>, path: string[], value: unknown) => {
  let node = target
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>
  node[path.at(-1)!] = value
}

function csvRow(columns: string[], cells: string[], line: number): SourceRow {
  const errors: AppError[] = []
  const input: Record<string, unknown> = {}
  const settings: Record<string, unknown> = {}
  if (cells.length !== columns.length) {
    errors.push(new AppError('CSV_COLUMN_COUNT', `Line ${line} has ${cells.length} fields; the header has ${columns.length}.`, {line, suggestions: ['Quote fields that contain commas.']}))
  }
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!
    const cell = cells[i]?.trim() ?? ''
    if (cell === '') continue
    if (isSettingColumn(column)) {
      setPath(settings, column.replace(/^settings\./, '').split('.'), parseSettingValue(cell))
    } else if (column === 'features') {
      try {
        input.features = Object.fromEntries(cell.split(/[;|]/).filter((f) => f.trim()).map((f) => parseToggle(f, 'feature')))
      } catch (error) {
        errors.push(new AppError((error as AppError).code, (error as AppError).message, {line, field: column}))
      }
    } else if (column === 'allowed_ip_ranges') {
      input.allowedIpRanges = cell.split(/[;|\s]+/).filter(Boolean)
    } else if (column === 'enable_2fa') {
      input.enable2fa = /^(true|yes|1|on)$/i.test(cell)
    } else {
      input[CSV_COLUMNS[column]!] = cell
    }
  }
  if (Object.keys(settings).length > 0) input.settings = settings
  return {
    line,
    label: String(input.name ?? input.subdomain ?? `line ${line}`),
    input: input as TenantInput,
    members: [],
    errors,
    fieldName: csvFieldName,
  }
}

const csvFieldName = (path: PropertyKey[]) => COLUMN_FOR[String(path[0])] ?? (path[0] === 'settings' ? `settings.${path.slice(1).join('.')}` : path.join('.'))

async function* csvRecords(path: string): AsyncGenerator<RecordBatch> {
  const {parse} = await import('csv-parse')
  const parser = createReadStream(path).pipe(
    parse({bom: true, relax_column_count: true, info: true, skip_records_with_error: true, skip_empty_lines: true}),
  )
  const skipped: AppError[] = []
  parser.on('skip', (error: Error & {code?: string; lines?: number}) => {
    skipped.push(new AppError('CSV_MALFORMED', `Line ${error.lines}: ${error.message}`, {line: error.lines, suggestions: ['Quote fields that contain commas, quotes or line breaks, and double quotes inside them ("").']}))
  })
  let failure: unknown
  parser.on('error', (error) => (failure = error))
  const failed = (error: AppError): SourceRow => ({line: error.line ?? 0, label: `line ${error.line}`, input: {} as TenantInput, members: [], errors: [error], fieldName: String})
  let columns: string[] | undefined
  for (;;) {
    const batch: RecordBatch = {columns: columns ?? [], records: [], failed: []}
    let item: {record: string[]; info: {lines: number}} | null
    while ((item = parser.read() as typeof item) !== null) {
      while (skipped.length > 0) batch.failed.push(failed(skipped.shift()!))
      const {record, info} = item
      // info.lines is where the record ends; line breaks inside quoted fields move its start up
      let start = info.lines
      for (const cell of record) for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) start--
      if (!columns) batch.columns = columns = checkHeader(record)
      else batch.records.push({line: start, cells: record})
    }
    if (failure) throw new AppError('FILE_UNREADABLE', `Cannot read ${path}: ${(failure as Error).message}`, {field: 'FILE', cause: failure})
    if (batch.records.length + batch.failed.length > 0) yield batch
    // checked after the yield: while the consumer worked, more may have arrived, or the stream ended
    if (parser.readableEnded) break
    if (parser.readableLength > 0) continue
    await new Promise<void>((resolve) => {
      const done = () => {
        parser.off('readable', done).off('end', done).off('error', done)
        resolve()
      }
      parser.once('readable', done).once('end', done).once('error', done)
    })
  }
  if (skipped.length > 0) yield {columns: columns ?? [], records: [], failed: skipped.splice(0).map(failed)}
  if (!columns) throw new AppError('CSV_EMPTY', `${path} has no header line.`, {line: 1, suggestions: ['Print a valid header with --template.']})
}

export function csvSource(path: string): Source {
  return {
    kind: 'csv',
    path,
    async *batches() {
      for await (const {columns, records, failed} of csvRecords(path)) {
        yield [...failed, ...records.map((r) => csvRow(columns, r.cells, r.line))]
      }
    },
  }
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
    if (!(field in COLUMN_FOR) || field === 'features') {
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

export function configSource(path: string): Source {
  return {
    kind: 'json',
    path,
    async *batches() {
      let entries: unknown
      try {
        entries = JSON.parse(await readFile(path, 'utf8'))
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ? 'FILE_UNREADABLE' : 'JSON_INVALID'
        throw new AppError(code, `${path}: ${(error as Error).message}`, {field: 'FILE', exit: ExitCode.usage})
      }
      if (!Array.isArray(entries)) {
        throw new AppError('CONFIG_INVALID', `${path} must hold a JSON array of tenant configurations, as in the provisioning guide.`, {field: 'FILE'})
      }
      for (let i = 0; i < entries.length; i += 1000) yield entries.slice(i, i + 1000).map((entry, j) => configRow(entry, i + j))
    },
  }
}

