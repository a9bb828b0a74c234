import {escapeJsonControls} from './lib/text.js'

/** The envelope fields that end a streamed document (see BaseCommand.toSuccessJson). */
export interface DocumentEnd {
  status: number
  error?: unknown
  warnings: string[]
}

/**
 * A --json document written as its result's list comes, for results too long
 * to keep (`tenant list --all`, a bulk run's rows):
 * `{"result": {"<list>": [...], ...the rest of the result}, "status", "error"?, "warnings"}`,
 * the same document the envelope would be, with `status` after `result`. It
 * begins with the first items; close() writes the rest at once (synchronously,
 * so that Ctrl-C can close it too) and makes the document whole.
 */
export class JsonStream {
  #items = 0
  #begun = false
  #closed = false

  constructor(private readonly list: string) {}

  /** the document has begun: its end must come from close() */
  get begun(): boolean {
    return this.#begun
  }

  /** items written so far */
  get items(): number {
    return this.#items
  }

  async #write(text: string): Promise<void> {
    if (!process.stdout.write(escapeJsonControls(text))) await new Promise((resolve) => process.stdout.once('drain', resolve))
  }

  async begin(): Promise<void> {
    if (this.#begun) return
    this.#begun = true
    await this.#write(`{\n  "result": {\n    ${JSON.stringify(this.list)}: [`)
  }

  async add(items: unknown[]): Promise<void> {
    await this.begin()
    if (items.length === 0) return
    await this.#write(items.map((item) => `${this.#items++ === 0 ? '\n' : ',\n'}      ${JSON.stringify(item)}`).join(''))
  }

  /** The list closed, the result's other fields (undefined ones left out), then the envelope's. */
  close(rest: Record<string, unknown>, {status, error, warnings}: DocumentEnd): void {
    if (this.#closed) return
    this.#closed = true
    const indent = (value: unknown, by: string) => JSON.stringify(value, null, 2).replaceAll('\n', `\n${by}`)
    const fields = Object.entries(rest).filter(([key, value]) => key !== this.list && value !== undefined)
    const tail = `${this.#items > 0 ? '\n    ' : ''}]${fields.map(([key, value]) => `,\n    ${JSON.stringify(key)}: ${indent(value, '    ')}`).join('')}\n  },\n` +
      `  "status": ${status},\n${error === undefined ? '' : `  "error": ${indent(error, '  ')},\n`}  "warnings": ${JSON.stringify(warnings)}\n}\n`
    process.stdout.write(escapeJsonControls(tail))
  }
}
