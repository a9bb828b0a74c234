/**
 * The records of CSV input, read as a stream by csv-parse a batch at a time,
 * each with the line it starts on, and the records that could not be parsed.
 */
import {isUtf8} from 'node:buffer'
import {AppError} from '../errors.js'
import type {Input} from '../input.js'

export interface CsvRecord {
  cells: string[]
  /** the line the record starts on */
  line: number
}

export interface RecordBatch {
  records: CsvRecord[]
  /** records csv-parse skipped: where, and why */
  malformed: {line: number; message: string}[]
  /**
   * The file has bytes that are not UTF-8 (decoded as U+FFFD) at or before
   * these records: look for them in the cells. False for a valid file, which
   * then costs no check a cell.
   */
  notUtf8: boolean
}

/** Whether a stream of chunks is UTF-8, a sequence cut between two chunks included. */
class Utf8Check {
  #tail: Buffer = Buffer.alloc(0)
  valid = true

  push(chunk: Buffer): void {
    if (!this.valid) return
    const bytes = this.#tail.length > 0 ? Buffer.concat([this.#tail, chunk]) : chunk
    // the last sequence may go on in the next chunk: keep its lead byte and what follows it
    let cut = bytes.length
    for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
      const b = bytes[i]!
      if ((b & 0xc0) === 0x80) continue
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
      if (i + length > bytes.length) cut = i
      break
    }
    this.valid = isUtf8(bytes.subarray(0, cut))
    this.#tail = bytes.subarray(cut)
  }

  end(): void {
    if (this.#tail.length > 0) this.valid = false
  }
}

/**
 * Line breaks before a byte offset of a stream of chunks, for the line a
 * record starts on as an editor shows it (a CRLF, or a line break inside
 * quotes, counts once). The line break is LF, or CR in a file whose first line
 * ends in a CR alone (old Mac exports, which csv-parse reads with CR as the
 * record delimiter). Offsets only move forward; counted chunks are let go.
 */
export class LineFeeds {
  #chunks: Buffer[] = []
  #chunkStart = 0
  #counted = 0
  #feeds = 0
  #byte?: number

  push(chunk: Buffer): void {
    if (this.#byte === undefined) {
      const cr = chunk.indexOf(13)
      const lf = chunk.indexOf(10)
      this.#byte = cr !== -1 && (lf === -1 || cr < lf) && chunk[cr + 1] !== 10 && cr + 1 < chunk.length ? 13 : 10
    }
    this.#chunks.push(chunk)
  }

  before(offset: number): number {
    while (this.#counted < offset && this.#chunks.length > 0) {
      const chunk = this.#chunks[0]!
      const chunkEnd = this.#chunkStart + chunk.length
      const end = Math.min(offset, chunkEnd)
      for (let i = chunk.indexOf(this.#byte!, this.#counted - this.#chunkStart); i !== -1 && i < end - this.#chunkStart; i = chunk.indexOf(this.#byte!, i + 1)) this.#feeds++
      this.#counted = end
      if (end === chunkEnd) {
        this.#chunkStart = chunkEnd
        this.#chunks.shift()
      }
    }
    return this.#feeds
  }

  /** The line a record starts on: `bytes` is csv-parse's offset past the record's delimiter. */
  lineOf(cells: string[], bytes: number): number {
    // the line breaks inside the record's quoted fields are in its cells
    const lineBreak = this.#byte === 13 ? '\r' : '\n'
    let inside = 0
    for (const cell of cells) for (let i = cell.indexOf(lineBreak); i !== -1; i = cell.indexOf(lineBreak, i + 1)) inside++
    return 1 + this.before(bytes - 1) - inside
  }
}

/**
 * Records a batch: small batches keep little alive when V8 collects garbage,
 * which keeps its heap from growing over a long file (at 400,000 rows, peak
 * RSS 160 MB with 128, 203 MB with all that was parsed at once).
 */
const BATCH_RECORDS = 128

/** The records of a CSV input on this thread, a batch at a time. */
export async function* csvRecords(input: Input): AsyncGenerator<RecordBatch> {
  const {parse} = await import('csv-parse')
  const feeds = new LineFeeds()
  const utf8 = new Utf8Check()
  const parser = parse({bom: true, relax_column_count: true, info: true, skip_records_with_error: true, skip_empty_lines: true})
  let failure: unknown
  parser.on('error', (error) => (failure = error))
  let first = true
  const file = input.open()
    // pipe() does not pass on a read error: without this the parser would wait for ever
    .on('error', (error) => parser.destroy(error))
    .on('data', (chunk) => {
      if (first && (chunk as Buffer).length >= 2 && ['fffe', 'feff'].includes((chunk as Buffer).subarray(0, 2).toString('hex'))) {
        parser.destroy(new AppError('CSV_ENCODING', `${input.name} is UTF-16 text.`, {line: 1, field: 'FILE', suggestions: ['Save it as UTF-8 (in Excel: "CSV UTF-8").']}))
      }
      first = false
      feeds.push(chunk as Buffer)
      utf8.push(chunk as Buffer)
    })
    .on('end', () => utf8.end())
  file.pipe(parser)
  // a skipped record is reported at its place among the records, so that its line is counted in file order
  const skips: {bytes: number; message: string}[] = []
  parser.on('skip', (error: Error & {bytes?: number}) => skips.push({bytes: error.bytes ?? 0, message: error.message.replace(/ at line \d+/, '')}))
  let malformed: RecordBatch['malformed'] = []
  // csv-parse may report one broken record several times as it finds its way back: once a line
  let lastSkipped = 0
  const settle = (upTo: number) => {
    while (skips.length > 0 && skips[0]!.bytes <= upTo) {
      const {bytes, message} = skips.shift()!
      const line = 1 + feeds.before(bytes)
      if (line !== lastSkipped) malformed.push({line, message})
      lastSkipped = line
    }
  }
  try {
    for (;;) {
      const records: CsvRecord[] = []
      let item: {record: string[]; info: {bytes: number}} | null
      while (records.length < BATCH_RECORDS && (item = parser.read() as typeof item) !== null) {
        settle(item.info.bytes - 1)
        records.push({cells: item.record, line: feeds.lineOf(item.record, item.info.bytes)})
      }
      if (failure) throw failure
      if (parser.readableEnded) settle(Infinity)
      if (records.length + malformed.length > 0) {
        yield {records, malformed, notUtf8: !utf8.valid}
        malformed = []
      }
      // checked after the yield: while the consumer worked, more may have arrived, the stream ended or failed
      if (failure) throw failure
      if (parser.readableEnded) break
      if (parser.readableLength > 0) continue
      // destroyed without an end: 'error' comes before 'close', so a closed parser has said why
      if (parser.closed) throw failure ?? new Error('the CSV parser stopped before the end of the file')
      await new Promise<void>((resolve) => {
        const done = () => {
          parser.off('readable', done).off('end', done).off('error', done).off('close', done)
          resolve()
        }
        parser.once('readable', done).once('end', done).once('error', done).once('close', done)
      })
    }
    settle(Infinity)
    if (malformed.length > 0) yield {records: [], malformed, notUtf8: !utf8.valid}
  } finally {
    // a reader left early (an error, --stop-on-error) closes the file
    file.destroy()
    parser.destroy()
  }
}
