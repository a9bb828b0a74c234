/**
 * The CLI's inputs: paths (and "-", standard input) opened as the library's
 * Input streams. The library never opens a path; checks that need one (is it
 * a readable regular file) happen here, before any work.
 */
import {constants, createReadStream} from 'node:fs'
import {access, stat} from 'node:fs/promises'

import type {Input} from './lib/input.js'
import {unreadable} from './lib/input.js'

/** A readable regular file at `path` as an Input (its size known); FILE_UNREADABLE otherwise. */
export async function fileInput(path: string, field: string): Promise<Input> {
  let size: number
  try {
    const info = await stat(path)
    if (!info.isFile()) throw Object.assign(new Error('it is not a regular file'), {code: info.isDirectory() ? 'EISDIR' : undefined})
    await access(path, constants.R_OK)
    size = info.size
  } catch (error) {
    throw unreadable(path, field, error)
  }
  return {name: path, size, open: () => createReadStream(path)}
}

/** A file (a pipe too: <(...)), or standard input for "-", read once; its errors come when it is read. */
export function textInput(path: string): Input {
  return path === '-' ? {name: 'standard input', open: () => process.stdin} : {name: path, open: () => createReadStream(path)}
}

/**
 * A backup file as an Input, read a megabyte at a time; its size (for
 * progress) when it can be found. A missing or unreadable file is refused
 * by the reader, with the backup's own errors.
 */
export async function backupInput(path: string): Promise<Input> {
  const size = await stat(path).then((s) => (s.isFile() ? s.size : undefined), () => undefined)
  return {name: path, size, open: () => createReadStream(path, {highWaterMark: 1 << 20})}
}
