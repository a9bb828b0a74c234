/**
 * Input bytes the caller opens: a file or standard input (the CLI, which owns
 * paths), an HTTP request body, a queue job's payload. The library reads them
 * as streams and never opens a path itself.
 */
import {Readable} from 'node:stream'

import {AppError} from './errors.js'
import {checkSettings, type Settings} from './validation.js'

export interface Input {
  /** what messages and reports call it: a file's path, "standard input", an upload's name */
  name: string
  /**
   * A new stream of its bytes from the first one. A reader that needs two
   * passes (bulk's hash and validation, a restore's manifest then its rows)
   * opens it again.
   */
  open(): Readable
  /** its size in bytes, when known (progress; bulk keeps a small input's rows in memory) */
  size?: number
}

/** Bytes in memory as an Input. */
export function bytesInput(name: string, bytes: Buffer): Input {
  return {name, size: bytes.length, open: () => Readable.from([bytes])}
}

/**
 * A stream that can be read only once (an HTTP request body, standard input)
 * as an Input, its bytes kept in memory; more than `limit` bytes is
 * INPUT_TOO_LARGE.
 */
export async function streamInput(name: string, stream: Readable, field: string, limit = Number.MAX_SAFE_INTEGER): Promise<Input> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length
      if (size > limit) {
        stream.destroy()
        throw new AppError('INPUT_TOO_LARGE', `${name} is larger than ${limit} bytes.`, {field})
      }
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    if (error instanceof AppError) throw error
    throw unreadable(name, field, error)
  }
  return bytesInput(name, Buffer.concat(chunks))
}

const REASONS: Record<string, string> = {ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a directory'}

/** FILE_UNREADABLE for an input whose stream failed (a file: the reason from its error code). */
export function unreadable(name: string, field: string, error: unknown): AppError {
  const reason = REASONS[(error as NodeJS.ErrnoException).code ?? ''] ?? (error as Error).message
  return new AppError('FILE_UNREADABLE', `Cannot read ${name}: ${reason}.`, {field, cause: error, suggestions: ['Check the path and its permissions.']})
}

/** UTF-8 that refuses bytes which are not, instead of reading them as U+FFFD; a byte order mark is dropped. */
const UTF8 = new TextDecoder('utf-8', {fatal: true})

/** Bytes as UTF-8 text; FILE_ENCODING (naming `name`, the bytes' source) when they are not UTF-8. */
export function utf8Text(bytes: Uint8Array, name: string, field: string): string {
  try {
    return UTF8.decode(bytes)
  } catch (error) {
    throw new AppError('FILE_ENCODING', `${name} is not valid UTF-8 text.`, {
      field,
      cause: error,
      suggestions: ['Save it as UTF-8.'],
    })
  }
}

/** An input's text; FILE_UNREADABLE when its stream fails, FILE_ENCODING when it is not UTF-8. */
export async function readText(input: Input, field: string): Promise<string> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of input.open()) chunks.push(chunk as Buffer)
  } catch (error) {
    throw unreadable(input.name, field, error)
  }
  return utf8Text(Buffer.concat(chunks), input.name, field)
}

async function readJsonObject(input: Input, field: string): Promise<Record<string, unknown>> {
  const text = await readText(input, field)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new AppError('JSON_INVALID', `${input.name} is not valid JSON: ${(error as Error).message}`, {field, cause: error})
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('JSON_INVALID', `${input.name} must hold a JSON object`, {field})
  }
  return value as Record<string, unknown>
}

/** A JSON object of settings (--settings-file), checked like any settings: keys, NUL, depth and size. */
export async function readSettings(input: Input, field: string): Promise<Settings> {
  return checkSettings(await readJsonObject(input, field), field)
}
