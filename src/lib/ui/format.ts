/**
 * Human rendering: tables, key-value blocks and error blocks. chalk drops
 * colour by itself for NO_COLOR, FORCE_COLOR=0 and output that is not a terminal.
 */
import chalk from 'chalk'
import Table from 'cli-table3'

import type {AppError, ValidationErrors} from '../errors.js'

export const symbols = {
  ok: chalk.green('✔'),
  fail: chalk.red('✖'),
  warn: chalk.yellow('!'),
  info: chalk.cyan('i'),
  arrow: chalk.dim('→'),
}

export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const t = new Table({
    head: head.map((h) => chalk.bold(h)),
    style: {head: [], border: [], compact: true},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
    wordWrap: true,
  })
  for (const row of rows) t.push(row.map((c) => (c === null || c === undefined ? '' : String(c))))
  return t.toString()
}

/** Aligned `label  value` lines. */
export function keyValues(entries: [string, unknown][]): string {
  const width = Math.max(...entries.map(([k]) => k.length))
  return entries
    .map(([key, value]) => `${chalk.dim(key.padEnd(width))}  ${value === null || value === undefined || value === '' ? chalk.dim('-') : String(value)}`)
    .join('\n')
}

export const heading = (text: string) => chalk.bold(text)

function errorLines(error: AppError, indent = ''): string[] {
  const where = [error.line === undefined ? '' : `line ${error.line}`, error.field ? `field ${error.field}` : '']
    .filter(Boolean)
    .join(', ')
  const lines = [`${indent}${symbols.fail} ${chalk.red.bold(error.code)}${where ? chalk.dim(` (${where})`) : ''}: ${error.message}`]
  if (error.suggestions.length > 0) lines.push(`${indent}  ${symbols.arrow} ${error.suggestions.join(chalk.dim(' | '))}`)
  return lines
}

export function formatError(error: AppError | ValidationErrors): string {
  const nested = (error as ValidationErrors).errors
  if (nested && nested.length > 1) {
    return [`${symbols.fail} ${chalk.red.bold(error.code)}: ${error.message}`, ...nested.flatMap((e) => errorLines(e, '  '))].join('\n')
  }
  return errorLines(nested?.[0] ?? error).join('\n')
}
