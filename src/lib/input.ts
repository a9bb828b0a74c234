import {constants} from 'node:fs'
import {access, readFile, stat} from 'node:fs/promises'

import {AppError} from './errors.js'
import {checkSettings, type Settings} from './validation.js'

const REASONS: Record<string, string> = {ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a directory'}

function unreadable(path: string, field: string, error: unknown): AppError {
  const reason = REASONS[(error as NodeJS.ErrnoException).code ?? ''] ?? (error as Error).message
  return new AppError('FILE_UNREADABLE', `Cannot read ${path}: ${reason}.`, {field, cause: error, suggestions: ['Check the path and its permissions.']})
}

/** The size of an input file, which must be a readable regular file. */
export async function inputFileSize(path: string, field: string): Promise<number> {
  try {
    const info = await stat(path)
    if (!info.isFile()) throw Object.assign(new Error('it is not a regular file'), {code: info.isDirectory() ? 'EISDIR' : undefined})
    await access(path, constants.R_OK)
    return info.size
  } catch (error) {
    throw unreadable(path, field, error)
  }
}

/** UTF-8 that refuses bytes which are not, instead of reading them as U+FFFD; a byte order mark is dropped. */
const UTF8 = new TextDecoder('utf-8', {fatal: true})

/** A file's text, or standard input for `-`; FILE_ENCODING when it is not UTF-8. */
export async function readTextInput(path: string, field: string): Promise<string> {
  let bytes: Buffer
  try {
    if (path === '-') {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      bytes = Buffer.concat(chunks)
    } else {
      bytes = await readFile(path)
    }
  } catch (error) {
    throw unreadable(path, field, error)
  }
  try {
    return UTF8.decode(bytes)
  } catch (error) {
    throw new AppError('FILE_ENCODING', `${path === '-' ? 'Standard input' : path} is not valid UTF-8 text.`, {
      field,
      cause: error,
      suggestions: ['Save it as UTF-8.'],
    })
  }
}

async function readJsonObject(path: string, field: string): Promise<Record<string, unknown>> {
  const text = await readTextInput(path, field)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new AppError('JSON_INVALID', `${path} is not valid JSON: ${(error as Error).message}`, {field, cause: error})
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('JSON_INVALID', `${path} must hold a JSON object`, {field})
  }
  return value as Record<string, unknown>
}

/** A JSON object of settings (--settings-file), checked like any settings: keys, NUL, depth and size. */
export async function readSettingsFile(path: string, field: string): Promise<Settings> {
  return checkSettings(await readJsonObject(path, field), field)
}
