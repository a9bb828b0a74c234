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

/** A file's text, or standard input for `-`. */
export async function readTextInput(path: string, field: string): Promise<string> {
  try {
    if (path === '-') {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks).toString('utf8')
    }
    return await readFile(path, 'utf8')
  } catch (error) {
    throw unreadable(path, field, error)
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
