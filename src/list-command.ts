import {type Command} from '@oclif/core'

import {BaseCommand} from './base.js'
import {exitCodeOf} from './exit-codes.js'
import {AppError} from './lib/errors.js'
import type {Page, PageRequest} from './lib/paging.js'
import type {Column} from './ui/list.js'
import {invocation, shellWord} from './ui/hints.js'

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
    return [invocation(this.config.bin), ...(this.id ?? '').split(':'), ...argv.map(shellWord), '--after', cursor].join(' ')
  }

  /**
   * --all --json: the items written as their pages come, inside the one
   * document, closed after the last page; or, when a later page fails, by
   * logJson with the error (and at Ctrl-C): the document is always whole, its
   * `nextCursor` the first page that was not written.
   */
  async #stream<R>(all: AsyncIterable<Page<R>>, after: string | undefined): Promise<void> {
    const {JsonStream} = await import('./json-stream.js')
    const document = new JsonStream('items')
    let total: number | undefined
    let cursor = after ?? null
    this.#close = (end) => document.close({nextCursor: cursor, total}, {...end, warnings: this.warnings})
    // the document begins with the first page: an error before it (a bad --after) is the plain error envelope
    const begin = async () => {
      if (document.begun) return
      this.#streamed = true
      this.interruption = {note: () => `${document.items.toLocaleString('en-US')} item(s) written, the JSON document closed`, stop: () => this.#close?.({status: exitCodeOf(INTERRUPTED), error: INTERRUPTED.toEnvelope((a) => this.commandLine(a))})}
      await document.begin()
    }
    for await (const page of all) {
      await begin()
      total ??= page.total
      // the page is on its way out (a Ctrl-C while waiting to write it does not take it back)
      cursor = page.nextCursor
      await document.add(page.items)
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

const INTERRUPTED = new AppError('INTERRUPTED', 'Interrupted; the items before nextCursor were written.', {suggestions: ['Run again with --after nextCursor for the rest.']})
