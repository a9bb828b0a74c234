import {readFile} from 'node:fs/promises'

import {AppError} from './errors.js'

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
    throw new AppError('FILE_UNREADABLE', `Cannot read ${path}: ${(error as Error).message}`, {field, cause: error})
  }
}

export async function readJsonObject(path: string, field: string): Promise<Record<string, unknown>> {
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
