/**
 * Bulk inputs as a stream of rows: CSV (one tenant a record) or the
 * guide's JSON configuration, read from an Input the caller opens (a file, an
 * HTTP request body) (an array of {tenant, users, features, settings}).
 * Each row carries the tenant input in the shape the tenant schema parses,
 * the members to invite, and any problem found while reading it.
 */
import {createScanner, findNodeAtLocation, type Node as JsonNode, parseTree, SyntaxKind, visit} from 'jsonc-parser'

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
  /** the row's key: CSV, the file line the record starts on; JSON, the record's 1-based position in the array */
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

/** Where a row, or a problem in it, is in the file: CSV, the record's line; JSON, the record's number and the line and column. */
export interface Place {
  line: number
  column?: number
  record?: number
}

export interface Source {
  kind: 'csv' | 'json'
  /** the bytes, opened again for each pass over them */
  input: Input
  /** the rows in file order, a batch at a time (one promise a batch, not a row) */
  batches(): AsyncGenerator<SourceRow[]>
  /** Where row `key` is (once its batch was read), or the value `field` names in it (a JSON path), else the row. */
  place(key: number, field?: string): Place
  /** A tenant column (subdomain, custom_domain) of row `key` as this file names it: the CSV column, or the JSON path. */
  columnOf(key: number, column: string): string
  /** `on line 5` (CSV) or `in record 3` (JSON), in messages */
  rowName(key: number): string
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
    throw unreadable(input.name, 'file', error)
  }
  if (!row) throw new AppError('CSV_EMPTY', `${input.name} has no header line.`, {line: 1, suggestions: ['Print a valid header with --template.']})
}

export function csvSource(input: Input): Source {
  return {kind: 'csv', input, batches: () => csvRows(input), place: (line) => ({line}), columnOf: (_, column) => column, rowName: (line) => `on line ${line}`}
}

const snakeToCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/**
 * The guide's keyword arguments of a tenant (TenantManager.create_tenant's, a
 * config record's "tenant": name, subdomain, plan_type, contact_email,
 * max_users, ...) as the fields of a tenant spec; an unknown key is
 * CONFIG_UNKNOWN_KEY, named by `place`. `keyFor` maps each field back to its key.
 */
export function guideTenantInput(tenant: Record<string, unknown>, place: (key: string) => {text: string; field: string}, errors: AppError[]): {input: Record<string, unknown>; keyFor: Record<string, string>} {
  const input: Record<string, unknown> = {}
  const keyFor: Record<string, string> = {}
  for (const [key, value] of Object.entries(tenant)) {
    const field = key === 'plan_type' ? 'plan' : snakeToCamel(key)
    if (!Object.hasOwn(COLUMN_FOR, field) || field === 'features') {
      const {text, field: named} = place(key)
      errors.push(new AppError('CONFIG_UNKNOWN_KEY', `Unknown key ${text}.`, {field: named, suggestions: [`Keys: name, subdomain, plan_type, ${Object.keys(CSV_COLUMNS).slice(3).filter((k) => k !== 'features').join(', ')}`]}))
      continue
    }
    input[field] = value
    keyFor[field] = key
  }
  return {input, keyFor}
}

/** One record of the guide's configuration file; its problems are placed later (Source.place). */
function configRow(entry: unknown, index: number): SourceRow {
  const record = index + 1
  const errors: AppError[] = []
  const at = (field: string) => `[${index}].${field}`
  const obj = (entry ?? {}) as Record<string, unknown>
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    errors.push(new AppError('CONFIG_INVALID', `Record ${record} must be an object with "tenant", "users", "features" and "settings".`, {field: `[${index}]`}))
  }
  const tenant = (obj.tenant ?? {}) as Record<string, unknown>
  if (typeof obj.tenant !== 'object' || obj.tenant === null || Array.isArray(obj.tenant)) {
    errors.push(new AppError('CONFIG_INVALID', `Record ${record} has no "tenant" object.`, {field: at('tenant')}))
  }
  const {input, keyFor} = guideTenantInput(tenant, (key) => ({text: `tenant.${key} in record ${record}`, field: at(`tenant.${key}`)}), errors)
  for (const key of Object.keys(obj)) {
    if (!['tenant', 'users', 'features', 'settings'].includes(key)) {
      errors.push(new AppError('CONFIG_UNKNOWN_KEY', `Unknown key "${key}" in record ${record}.`, {field: at(key), suggestions: ['Keys: tenant, users, features, settings.']}))
    }
  }
  if (obj.features !== undefined) input.features = obj.features
  if (obj.settings !== undefined) input.settings = obj.settings
  const users = obj.users ?? []
  if (!Array.isArray(users)) errors.push(new AppError('CONFIG_INVALID', `"users" in record ${record} must be an array.`, {field: at('users')}))
  const members = (Array.isArray(users) ? users : []) as MemberInput[]
  return {
    line: record,
    label: String(tenant.name ?? tenant.subdomain ?? `record ${record}`),
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

/** A JSON path as this file writes it (`[2].users[0].email`): its segments, or undefined for another field. */
function pathSegments(field: string | undefined): (string | number)[] | undefined {
  if (!field?.startsWith('[')) return undefined
  const segments: (string | number)[] = []
  for (const [, index, key] of field.matchAll(/\[(\d+)\]|\.([^.[]+)/g)) segments.push(index === undefined ? key! : Number(index))
  return segments
}

/** The record at each position of the top-level array: its offset, and the 1-based line and column it starts on. */
interface Records {
  offsets: number[]
  lines: number[]
  columns: number[]
}

/** Where each record of a JSON array starts, in one pass of jsonc-parser's scanner (which counts CRLF, CR and LF as one line break each). */
function recordStarts(text: string): Records {
  const records: Records = {offsets: [], lines: [], columns: []}
  const scanner = createScanner(text, true)
  let depth = 0
  let expectValue = false
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (depth === 1 && expectValue && token !== SyntaxKind.CloseBracketToken) {
      records.offsets.push(scanner.getTokenOffset())
      records.lines.push(scanner.getTokenStartLine() + 1)
      records.columns.push(scanner.getTokenStartCharacter() + 1)
    }
    expectValue = depth === 1 ? token === SyntaxKind.CommaToken : depth === 0 && token === SyntaxKind.OpenBracketToken
    if (token === SyntaxKind.OpenBracketToken || token === SyntaxKind.OpenBraceToken) depth++
    else if (token === SyntaxKind.CloseBracketToken || token === SyntaxKind.CloseBraceToken) depth--
  }
  return records
}

/** The line and column (1-based) `length` characters after a point at `line`, `column` of `text`. */
function advance(text: string, line: number, column: number): Place {
  const breaks = text.match(/\r\n|\r|\n/g)
  if (!breaks) return {line, column: column + text.length}
  return {line: line + breaks.length, column: text.length - Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'))}
}

/** The JSON text's first syntax error, at its line and column, as jsonc-parser finds it. */
function syntaxError(text: string): Place | undefined {
  let place: Place | undefined
  try {
    visit(text, {onError: (_error, _offset, _length, line, character) => (place ??= {line: line + 1, column: character + 1})}, {disallowComments: true, allowTrailingComma: false})
  } catch {
    // nesting deeper than the parser's stack: the error without its place
  }
  return place
}

export function configSource(input: Input): Source {
  let text = ''
  let records: Records = {offsets: [], lines: [], columns: []}
  const start = (key: number): Place => ({record: key, line: records.lines[key - 1] ?? 1, column: records.columns[key - 1] ?? 1})
  return {
    kind: 'json',
    input,
    async *batches() {
      text = await readText(input, 'file')
      let entries: unknown
      try {
        entries = JSON.parse(text)
      } catch (error) {
        const place = syntaxError(text)
        // V8's own place is an offset (and not in every version a line): ours, as an editor counts
        const reason = (error as Error).message.replace(/ (in JSON )?at position \d+( \(line \d+ column \d+\))?/, '')
        throw new AppError('JSON_INVALID', `${input.name} is not valid JSON${place ? ` at line ${place.line}, column ${place.column}` : ''}: ${reason}`, {field: 'file', ...place, cause: error})
      }
      if (!Array.isArray(entries)) {
        throw new AppError('CONFIG_INVALID', `${input.name} must hold a JSON array of tenant configurations, as in the provisioning guide.`, {field: 'file'})
      }
      records = recordStarts(text)
      for (let i = 0; i < entries.length; i += 1000) yield entries.slice(i, i + 1000).map((entry, j) => configRow(entry, i + j))
    },
    place(key, field) {
      const at = start(key)
      const segments = pathSegments(field)
      const offset = records.offsets[key - 1]
      if (!segments || segments[0] !== key - 1 || offset === undefined) return at
      try {
        // the record alone, parsed into a tree with offsets (what follows it is ignored)
        const root = parseTree(text.slice(offset, records.offsets[key] ?? text.length))
        let node: JsonNode | undefined
        for (let n = segments.length; n > 1 && !node; n--) node = root && findNodeAtLocation(root, segments.slice(1, n))
        if (!node) return at
        // a key's value is placed at its key
        const found = node.parent?.type === 'property' ? node.parent.offset : node.offset
        return {record: key, ...advance(text.slice(offset, offset + found), at.line, at.column!)}
      } catch {
        // nesting deeper than the parser's stack: the record
        return at
      }
    },
    columnOf: (key, column) => `[${key - 1}].tenant.${column}`,
    rowName: (key) => `in record ${key}`,
  }
}
