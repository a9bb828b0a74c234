/**
 * The one renderer of list output, page by page (--all writes each page as it
 * comes). In a terminal: a table fitted to its width, long cells cut with …
 * (unless --no-truncate). Not a terminal: the same columns, never cut and never
 * wrapped: one row a line. --csv: a header and one record a row. Control
 * characters (line feeds too) are shown escaped, never sent to the terminal.
 */
import chalk from './chalk.js'
import {stripVTControlCharacters} from 'node:util'

import {AppError} from '../lib/errors.js'
import {escapeControls} from '../lib/text.js'
import {csvCell} from './csv.js'

export type Cell = string | number | null | undefined

export interface Column<T> {
  name: string
  value: (row: T) => Cell
}

export interface ListLayout {
  csv?: boolean
  /** column names to show, in order (--columns a,b,c); the default columns otherwise */
  columns?: string
  header?: boolean
  truncate?: boolean
  /** the terminal's width; undefined when stdout is not a terminal */
  width?: number
}

/** The columns --columns names, in its order; COLUMN_UNKNOWN naming the ones there are. */
export function pickColumns<T>(all: Column<T>[], defaults: string[], wanted: string | undefined): Column<T>[] {
  const names = wanted === undefined ? defaults : wanted.split(',').map((n) => n.trim().toLowerCase()).filter(Boolean)
  const known = all.map((c) => c.name)
  const unknown = names.filter((n) => !known.includes(n))
  if (unknown.length > 0 || names.length === 0) {
    throw new AppError('COLUMN_UNKNOWN', `${unknown.length > 0 ? `No column ${unknown.map((n) => `"${n}"`).join(', ')}` : 'No columns given'}. Columns: ${known.join(', ')}.`, {
      field: '--columns',
      suggestions: known,
    })
  }
  return names.map((n) => all.find((c) => c.name === n)!)
}

const MIN_WIDTH = 4
const GAP = '  '
const visible = (text: string) => stripVTControlCharacters(text).length
const cut = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`)

/** Column widths within `width`: the widest column gives way first, none below MIN_WIDTH (or its header). */
function fit(widths: number[], heads: number[], width: number): number[] {
  const fitted = [...widths]
  const total = () => fitted.reduce((a, b) => a + b, 0) + GAP.length * (fitted.length - 1)
  while (total() > width) {
    const widest = fitted.indexOf(Math.max(...fitted))
    const floor = Math.max(MIN_WIDTH, Math.min(heads[widest]!, fitted[widest]!))
    if (fitted[widest]! <= floor) break
    fitted[widest] = Math.max(floor, fitted[widest]! - (total() - width))
  }
  return fitted
}

export class ListWriter<T> {
  #rows = 0
  #widths?: number[]

  constructor(
    private readonly columns: Column<T>[],
    private readonly layout: ListLayout,
    private readonly write: (text: string) => void,
  ) {}

  /** Rows written so far. */
  get rows(): number {
    return this.#rows
  }

  /**
   * The column widths of the first page, kept for the pages after it (--all),
   * so that every page lines up with the first: a later cell that is wider is
   * cut in a terminal, and in a pipe (never cut) shifts only its own row.
   */
  #fitted(heads: string[], text: string[][], header: boolean): number[] {
    const widths = heads.map((h, i) => Math.max(header ? h.length : 0, ...text.map((r) => r[i]!.length)))
    const {width} = this.layout
    return width !== undefined && this.layout.truncate !== false ? fit(widths, heads.map((h) => h.length), width) : widths
  }

  page(items: T[]): void {
    const first = this.#rows === 0
    this.#rows += items.length
    const header = this.layout.header !== false && first
    const cells = items.map((item) => this.columns.map((c) => {
      const v = c.value(item)
      return v === null || v === undefined ? '' : String(v)
    }))
    if (this.layout.csv) {
      const lines = cells.map((row) => row.map(csvCell).join(','))
      if (header) lines.unshift(this.columns.map((c) => csvCell(c.name)).join(','))
      if (lines.length > 0) this.write(lines.join('\n') + '\n')
      return
    }
    if (items.length === 0) return
    const text = cells.map((row) => row.map(escapeControls))
    const heads = this.columns.map((c) => c.name)
    const widths = (this.#widths ??= this.#fitted(heads, text, header))
    const line = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + (c.length - visible(c))))).join(GAP).trimEnd()
    const lines = text.map((row) => line(row.map((c, i) => cut(c, widths[i]!))))
    if (header) lines.unshift(line(heads.map((h, i) => chalk.bold(cut(h, widths[i]!)))))
    this.write(lines.join('\n') + '\n')
  }
}

/** `Showing 100 of 4,008; next page: anthias tenant list --after XYZ (or --all)`: the line after a page with more after it. */
export function moreLine(shown: number, total: number | undefined, next: string): string {
  const count = total === undefined ? `Showing ${shown.toLocaleString('en-US')}, more after them` : `Showing ${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`
  return `${count}; next page: ${next} (or --all)`
}
