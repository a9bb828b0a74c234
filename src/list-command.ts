import {type Command} from '@oclif/core'

import {BaseCommand} from './base.js'
import {AppError, ExitCode} from './lib/errors.js'
import type {Page, PageRequest} from './lib/paging.js'
import type {Column} from './ui/list.js'

interface ListFlagValues {
  limit: number
  after?: string
  all: boolean
  columns?: string
  csv: boolean
  'no-header': boolean
  'no-truncate': boolean
}

export interface ListSpec<R> {
  /** every column --columns may name */
  columns: Column<R>[]
  /** the columns shown without --columns */
  defaults: string[]
  /** the line for an empty list, as `No tenants.` */
  empty: string
  /** one page; `withTotal` false when the total is known already (the pages after the first of --all) */
  fetch: (request: PageRequest & {withTotal: boolean}) => Promise<Page<R>>
}

/**
 * The list commands (tenant list, audit list, user list, apikey list): pages
 * with --limit/--after or every row with --all, rendered by the list writer, or
 * `{items, nextCursor, total?}` for --json (streamed with --all).
 */
export abstract class ListCommand<T extends typeof Command> extends BaseCommand<T> {
  /** --all --json began its document */
  #streamed = false

  /** The list written (table, CSV or streamed JSON); the page for --json without --all. */
  protected async list<R>(spec: ListSpec<R>): Promise<Page<R> | undefined> {
    const {ListWriter, moreLine, pickColumns} = await import('./ui/list.js')
    const {pages} = await import('./lib/paging.js')
    const {escapeControls} = await import('./lib/text.js')
    const flags = this.flags as unknown as ListFlagValues
    const columns = pickColumns(spec.columns, spec.defaults, flags.columns)
    const json = this.jsonEnabled()
    if (!flags.all) {
      const page = await spec.fetch({limit: flags.limit, after: flags.after, withTotal: true})
      if (json) return page
      const writer = new ListWriter(columns, this.layout(flags), (text) => process.stdout.write(text))
      writer.page(page.items)
      if (page.items.length === 0 && !flags.csv && flags.after === undefined) this.log(spec.empty)
      if (page.nextCursor !== null) process.stderr.write(`${escapeControls(moreLine(page.items.length, page.total, this.nextPageCommand(page.nextCursor)))}\n`)
      return page
    }
    let fetched = 0
    const all = pages((after) => spec.fetch({limit: flags.limit, after, withTotal: fetched++ === 0}), flags.after)
    if (json) {
      await this.#stream(all, flags.after)
      return undefined
    }
    const writer = new ListWriter(columns, this.layout(flags), (text) => process.stdout.write(text))
    for await (const page of all) writer.page(page.items)
    if (writer.rows === 0 && !flags.csv) this.log(spec.empty)
    return undefined
  }

  private layout(flags: ListFlagValues) {
    return {csv: flags.csv, header: !flags['no-header'], truncate: !flags['no-truncate'], width: process.stdout.isTTY ? process.stdout.columns || 80 : undefined}
  }

  /** This command line again, with --after the cursor instead of any --after given. */
  private nextPageCommand(cursor: string): string {
    const argv: string[] = []
    for (let i = 0; i < this.argv.length; i++) {
      const arg = this.argv[i]!
      if (arg === '--after') i++
      else if (!arg.startsWith('--after=')) argv.push(arg)
    }
    const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)
    return [this.config.bin, ...(this.id ?? '').split(':'), ...argv.map(quote), '--after', cursor].join(' ')
  }

  /**
   * --all --json: the items written as their pages come, inside the one
   * document, closed after the last page; or, when a later page fails, by
   * logJson with the error (and at Ctrl-C): the document is always whole, its
   * `nextCursor` the first page that was not written.
   */
  async #stream<R>(all: AsyncIterable<Page<R>>, after: string | undefined): Promise<void> {
    const {escapeJsonControls} = await import('./lib/text.js')
    const write = async (text: string) => {
      if (!process.stdout.write(escapeJsonControls(text))) await new Promise((resolve) => process.stdout.once('drain', resolve))
    }
    let n = 0
    let total: number | undefined
    let cursor = after ?? null
    this.#close = ({status, error}) => {
      this.#close = undefined
      const tail = `${n > 0 ? '\n    ' : ''}],\n    "nextCursor": ${JSON.stringify(cursor)}${total === undefined ? '' : `,\n    "total": ${total}`}\n  },\n  "status": ${status},\n` +
        `${error === undefined ? '' : `  "error": ${JSON.stringify(error, null, 2).replaceAll('\n', '\n  ')},\n`}  "warnings": ${JSON.stringify(this.warnings)}\n}\n`
      process.stdout.write(escapeJsonControls(tail))
    }
    // the document begins with the first page: an error before it (a bad --after) is the plain error envelope
    const begin = async () => {
      if (this.#streamed) return
      this.#streamed = true
      this.interruption = {note: () => `${n.toLocaleString('en-US')} item(s) written, the JSON document closed`, stop: () => this.#close?.({status: ExitCode.interrupted, error: INTERRUPTED.toJSON()})}
      await write('{\n  "result": {\n    "items": [')
    }
    for await (const page of all) {
      await begin()
      total ??= page.total
      const text = page.items.map((item) => `${n++ === 0 ? '\n' : ',\n'}      ${JSON.stringify(item)}`).join('')
      // the page is on its way out (a Ctrl-C while waiting to write it does not take it back)
      cursor = page.nextCursor
      await write(text)
    }
    await begin()
    this.#close?.({status: 0})
  }

  /** The end of the document --all --json streams, with the run's status and error. */
  #close?: (envelope: {status: number; error?: unknown}) => void

  override logJson(json: unknown): void {
    if (!this.#streamed) super.logJson(json)
    else this.#close?.(json as {status: number; error?: unknown})
  }
}

const INTERRUPTED = new AppError('INTERRUPTED', 'Interrupted; the items before nextCursor were written.', {exit: ExitCode.interrupted, suggestions: ['Run again with --after nextCursor for the rest.']})
