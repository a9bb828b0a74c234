/**
 * One paging mechanism for every list: keyset pages behind an opaque cursor.
 *
 * A cursor is base64url of JSON `{s, k}`: the sort it was made for (`s`, such
 * as `subdomain` or `-created`) and the sort key values of the last row shown
 * (`k`, the sort field then the row's id). The next page is the rows after that
 * key in the same order, found on an index with `where (key, id) > (...)`, so a
 * page costs the same at any depth and rows inserted or deleted between pages
 * neither repeat nor shift other rows. A cursor that does not decode, or was
 * made for another sort, is CURSOR_INVALID.
 */
import {AppError} from './errors.js'

/** One page of a list: `nextCursor` is null on the last page; `total` is the count of the whole filtered list where that is cheap. */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
  total?: number
}

export interface PageRequest {
  /** rows on the page, at least 1 */
  limit: number
  /** the cursor of the page before (its `nextCursor`) */
  after?: string
}

/** The largest --limit: a page is held in memory; --all streams pages of this size. */
export const MAX_PAGE = 10_000

/** The orders tenant list takes, each on an index (0001 for subdomain, 0006 for name and created). */
export const TENANT_SORTS = ['subdomain', 'name', 'created'] as const

export function encodeCursor(sort: string, key: string[]): string {
  return Buffer.from(JSON.stringify({s: sort, k: key})).toString('base64url')
}

const invalid = (message: string) =>
  new AppError('CURSOR_INVALID', message, {field: 'after', suggestions: ['Pass the nextCursor of the previous page unchanged, with the same sort, or start again from the first page.']})

/** The key values of a cursor made for `sort`, one a pattern, as text; CURSOR_INVALID otherwise. */
export function decodeCursor(cursor: string, sort: string, patterns: RegExp[]): string[] {
  let parsed: unknown
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url')
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalid('The cursor is not from this list (it does not decode).')
  }
  const {s, k} = (parsed ?? {}) as {s?: unknown; k?: unknown}
  if (typeof s !== 'string' || !Array.isArray(k) || k.length !== patterns.length || k.some((v, i) => typeof v !== 'string' || !patterns[i]!.test(v))) {
    throw invalid('The cursor is not from this list (its contents are not a sort key).')
  }
  if (s !== sort) throw invalid(`The cursor is of the list sorted by ${s}, not by ${sort}.`)
  return k as string[]
}

/** Patterns of key values, for decodeCursor. */
export const KEY = {
  text: /^[^]{0,1000}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  bigint: /^\d{1,18}$/,
  /** timestamptz as PostgreSQL writes it as text */
  time: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d){0,2}$/,
}

/** The page out of `limit + 1` rows fetched: the extra row only tells that there is a next page. */
export function toPage<T>(rows: T[], limit: number, sort: string, keyOf: (row: T) => string[], total?: number): Page<T> {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(sort, keyOf(last)) : null, ...(total === undefined ? {} : {total})}
}

/** Every page from `first` on, fetching the next only when the one before has been consumed. */
export async function* pages<T>(fetch: (after: string | undefined) => Promise<Page<T>>, first?: string): AsyncGenerator<Page<T>> {
  let after = first
  for (;;) {
    const page = await fetch(after)
    yield page
    if (page.nextCursor === null) return
    after = page.nextCursor
  }
}

/** A sort accepted by a list: `field` ascending, `-field` descending; SORT_UNKNOWN otherwise. */
export function parseSort<F extends string>(text: string, fields: readonly F[]): {field: F; descending: boolean; spec: string} {
  const descending = text.startsWith('-')
  const field = (descending ? text.slice(1) : text).trim().toLowerCase() as F
  if (!fields.includes(field)) {
    throw new AppError('SORT_UNKNOWN', `Cannot sort by "${text}". Sort by one of: ${fields.join(', ')} (a leading - for descending).`, {
      field: 'sort',
      suggestions: [...fields],
    })
  }
  return {field, descending, spec: `${descending ? '-' : ''}${field}`}
}
