/**
 * Human rendering: tables, key-value blocks and error blocks. chalk drops
 * colour by itself for FORCE_COLOR=0 and output that is not a terminal, and
 * for NO_COLOR (`./chalk.ts`).
 */
import {createRequire} from 'node:module'
import {stripVTControlCharacters} from 'node:util'

import {type Action, type AppError, isAction, type ValidationErrors} from '../lib/errors.js'
import {escapeControls} from '../lib/text.js'
import chalk from './chalk.js'

export {escapeControls}

/**
 * cli-table3 (with its string-width and colour helpers) is loaded by the first
 * table drawn, not at start-up: every command imports this module for its
 * symbols, and most draw no table.
 */
const loadTable = () => createRequire(import.meta.url)('cli-table3') as typeof import('cli-table3')

/** Status marks, coloured at the level set when they are used. */
export const symbols = {
  get ok() {
    return chalk.green('✔')
  },
  get fail() {
    return chalk.red('✖')
  },
  get warn() {
    return chalk.yellow('!')
  },
  get info() {
    return chalk.cyan('i')
  },
  get arrow() {
    return chalk.dim('→')
  },
}

type Cell = string | number | null | undefined

const visible = (text: string) => stripVTControlCharacters(text).length
const longestWord = (cells: string[]) => Math.max(...cells.flatMap((c) => stripVTControlCharacters(c).split(/\s+/).map((w) => w.length)))

/**
 * Column widths that fit the terminal (80 columns when not a terminal): the
 * widest column gives way first, down to its longest word, then the next;
 * when that is not enough (a long subdomain or URL), the widest gives way
 * further, its long words broken across lines (never cut).
 */
function fitWidths(rows: string[][], columns = process.stdout.columns || 80): number[] | undefined {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => Math.max(...(r[i] ?? '').split('\n').map(visible)))) + 2)
  const excess = () => widths.reduce((a, b) => a + b, 0) + widths.length + 1 - columns
  if (excess() <= 0) return undefined
  const words = widths.map((_, i) => longestWord(rows.map((r) => r[i] ?? '')) + 2)
  for (const floors of [words, widths.map(() => MIN_COLUMN)]) {
    for (let over = excess(); over > 0; over = excess()) {
      const shrinkable = widths.map((w, i) => (w > floors[i]! ? w : 0))
      const widest = shrinkable.indexOf(Math.max(...shrinkable))
      if (shrinkable[widest] === 0) break
      widths[widest] = Math.max(floors[widest]!, widths[widest]! - over)
    }
  }
  return widths
}

/** The narrowest a column gets, padding included. */
const MIN_COLUMN = 8

/**
 * A table with a header row; `head` empty for a two-column label/value table.
 * Control characters in cells are shown escaped, but for line feeds: a cell
 * is laid out on several lines within its borders (lists are one a line).
 */
export function table(head: string[], rows: Cell[][]): string {
  const text = rows.map((row) => row.map((c) => (c === null || c === undefined ? '' : String(c).split('\n').map(escapeControls).join('\n'))))
  const colWidths = fitWidths(head.length > 0 ? [head, ...text] : text)
  const Table = loadTable()
  const t = new Table({
    ...(head.length > 0 ? {head: head.map((h) => chalk.bold(h))} : {}),
    style: {head: [], border: [], compact: true},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
    wordWrap: true,
    ...(colWidths ? {colWidths} : {}),
  })
  // a word wider than its column is broken across lines, where cli-table3 would cut it with …
  for (const row of text) t.push(colWidths ? row.map((c, i) => (longestWord([c]) > colWidths[i]! - 2 ? {content: c, wrapOnWordBoundary: false} : c)) : row)
  return t.toString()
}

/** Aligned `label  value` lines, a value in the entry's style (colour) if it has one; control characters shown escaped. */
export function keyValues(entries: [string, unknown, ((text: string) => string)?][]): string {
  const width = Math.max(...entries.map(([k]) => k.length))
  return entries
    .map(([key, value, style = String]) => `${chalk.dim(key.padEnd(width))}  ${value === null || value === undefined || value === '' ? chalk.dim('-') : style(escapeControls(String(value)))}`)
    .join('\n')
}

export const heading = (text: string) => chalk.bold(text)

/** `line 4`; for a JSON config `record 3, line 17, column 5` */
export function placeText(place: {line?: number; column?: number; record?: number}): string {
  return [place.record === undefined ? '' : `record ${place.record}`, place.line === undefined ? '' : `line ${place.line}`, place.column === undefined ? '' : `column ${place.column}`]
    .filter(Boolean)
    .join(', ')
}

function errorLines(error: AppError, render: (action: Action) => string, indent = ''): string[] {
  const where = [placeText(error), error.field ? `field ${escapeControls(error.field)}` : '']
    .filter(Boolean)
    .join(', ')
  // messages quote the input: its control characters are shown, not sent to the terminal
  const lines = [`${indent}${symbols.fail} ${chalk.red.bold(error.code)}${where ? chalk.dim(` (${where})`) : ''}: ${escapeControls(error.message)}`]
  if (error.suggestions.length > 0) lines.push(`${indent}  ${symbols.arrow} ${error.suggestions.map((s) => escapeControls(isAction(s) ? render(s) : s)).join(chalk.dim(' | '))}`)
  return lines
}

/** An error block for stderr, its actions rendered by `render` (src/ui/hints.ts: as command lines). */
export function formatError(error: AppError | ValidationErrors, render: (action: Action) => string): string {
  const nested = (error as ValidationErrors).errors
  if (nested && nested.length > 1) {
    return [`${symbols.fail} ${chalk.red.bold(error.code)}: ${escapeControls(error.message)}`, ...nested.flatMap((e) => errorLines(e, render, '  '))].join('\n')
  }
  return errorLines(nested?.[0] ?? error, render).join('\n')
}

/** `assets   [██████░░░░░░░|░░░] 612/750 (82%)`: the bar in colour past the threshold, which is marked with |. */
export function usageBar(label: string, used: number, limit: number, threshold: number, unit = '', width = 30): string {
  const ratio = limit > 0 ? used / limit : 0
  const filled = Math.min(width, Math.round(ratio * width))
  const mark = Math.min(width - 1, Math.round(threshold * width))
  let bar = ''
  for (let i = 0; i < width; i++) bar += i === mark ? '|' : i < filled ? '█' : '░'
  const color = ratio >= threshold ? chalk.red : ratio >= threshold * 0.8 ? chalk.yellow : chalk.green
  const amount = `${used}/${limit}${unit ? ` ${unit}` : ''} (${Math.round(ratio * 100)}%)`
  return `${label.padEnd(8)} [${color(bar)}] ${amount}${ratio >= threshold ? `  ${symbols.warn} over the ${Math.round(threshold * 100)}% threshold` : ''}`
}
