/**
 * Files the tool writes: created exclusively (never replacing what is there,
 * never following a symlink), mode 0600, and published under their name only
 * when whole.
 *
 * A file written in one go (a backup) is made under a random temporary name in
 * its target's directory and published with link(), which fails with EEXIST
 * atomically when the name is taken, so an existing file is never replaced
 * unless the caller asks for it, and then only a regular file. Temporary files
 * are removed when the work fails, and when the process exits or is stopped
 * by SIGINT, SIGTERM or SIGHUP. A SIGKILL cannot be caught: it leaves the
 * temporary file (NAME.partial-RANDOM, 0600) beside the target. Linux's
 * O_TMPFILE, an unnamed file that vanishes with the process, would close that
 * gap, but Node can neither open one nor link it into the directory.
 */
import {randomBytes} from 'node:crypto'
import {constants, createReadStream, createWriteStream, type ReadStream, unlinkSync, type WriteStream} from 'node:fs'
import {access, type FileHandle, link, lstat, open, rename, unlink} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import type {AppError} from './errors.js'

/** The errors a caller gives for its file (each names its own code and flag). */
export interface FileErrors {
  /** something is at the path already */
  exists(path: string): AppError
  /** the path cannot be created: no such directory, no permission, ... */
  unwritable(path: string, error: NodeJS.ErrnoException): AppError
  /** asked to replace the path, but what is there is not a regular file */
  notRegular?(path: string, kind: string): AppError
}

const EXCLUSIVE = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

/** What is at `path` (lstat: a symlink is itself), or undefined when nothing is. */
async function kindOf(path: string): Promise<string | undefined> {
  const stat = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (!stat) return undefined
  if (stat.isFile()) return 'file'
  if (stat.isSymbolicLink()) return 'symlink'
  if (stat.isDirectory()) return 'directory'
  if (stat.isFIFO()) return 'FIFO'
  if (stat.isSocket()) return 'socket'
  return 'device'
}

/**
 * Fail early, before any work, when `path` could not be written: something is
 * there (with `replace`, something that is not a regular file), or its
 * directory is missing or not writable.
 */
export async function checkTarget(path: string, errors: FileErrors, options: {replace?: boolean} = {}): Promise<void> {
  const kind = await kindOf(path)
  if (kind && !options.replace) throw errors.exists(path)
  if (kind && kind !== 'file') throw (errors.notRegular ?? errors.exists)(path, kind)
  await access(dirname(resolve(path)), constants.W_OK).catch((error: NodeJS.ErrnoException) => {
    throw errors.unwritable(path, error)
  })
}

/** A new file at `path`, opened for reading and writing; refused if anything (a symlink too) is there. */
export async function createExclusive(path: string, errors: FileErrors, mode = 0o600): Promise<FileHandle> {
  let file: FileHandle
  try {
    file = await open(path, EXCLUSIVE, mode)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw errors.exists(path)
    throw errors.unwritable(path, error as NodeJS.ErrnoException)
  }
  await file.chmod(mode) // open's mode is narrowed by the umask, never widened: this is exact
  return file
}

/** link()'s answers on file systems that have no hard links */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])

/** Temporary files not yet published or removed, removed at exit */
const live = new Set<string>()
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

function removeLive(): void {
  for (const path of live) {
    try {
      unlinkSync(path)
    } catch {
      // gone already
    }
  }
  live.clear()
}

/** Remove the temporary files, then die of the signal as if nobody had listened. */
function onSignal(signal: NodeJS.Signals): void {
  removeLive()
  for (const s of SIGNALS) process.off(s, onSignal)
  process.kill(process.pid, signal)
}

function track(path: string): void {
  if (live.size === 0) {
    // listeners only while there is something to remove, so the signals keep their usual meaning otherwise
    for (const s of SIGNALS) process.on(s, onSignal)
    process.on('exit', removeLive)
  }
  live.add(path)
}

function untrack(path: string): void {
  live.delete(path)
  if (live.size === 0) {
    for (const s of SIGNALS) process.off(s, onSignal)
    process.off('exit', removeLive)
  }
}

/** A stream that writes into an open file from byte `start` on; the file stays open. */
export function writeStreamOf(handle: FileHandle, start = 0): WriteStream {
  // by descriptor: a FileHandle's own streams close it when they end, and close() waits for them
  return createWriteStream('', {fd: handle.fd, start, autoClose: false})
}

/** A stream of a whole open file, a megabyte at a time; the file stays open. */
export function readStreamOf(handle: FileHandle): ReadStream {
  return createReadStream('', {fd: handle.fd, start: 0, autoClose: false, highWaterMark: 1 << 20})
}

/** A temporary file beside a target, removed unless it is published. */
export class TempFile {
  private constructor(readonly path: string, readonly handle: FileHandle, private readonly errors: FileErrors) {}

  /** A new, empty file NAME.partial-RANDOM (0600) in the directory of `target`. */
  static async create(target: string, errors: FileErrors): Promise<TempFile> {
    const path = join(dirname(resolve(target)), `${basename(target)}.partial-${randomBytes(6).toString('hex')}`)
    track(path)
    try {
      return new TempFile(path, await createExclusive(path, errors), errors)
    } catch (error) {
      untrack(path)
      throw error
    }
  }

  /** A stream that writes from byte `start` on, through the open file (never by its name); the file stays open. */
  writeStream(start = 0): WriteStream {
    return writeStreamOf(this.handle, start)
  }

  /** A stream of the whole file, read through the open file; the file stays open. */
  readStream(): ReadStream {
    return readStreamOf(this.handle)
  }

  /**
   * Give the (complete) file the name `target`. Without `replace`,
   * link() refuses a taken name atomically, whatever is there. With it, only
   * a regular file is replaced: rename() swaps the directory entry and never
   * writes through it, so if something else takes the name between the check
   * and the rename, that entry is replaced, never what it points to.
   */
  async publish(target: string, options: {replace?: boolean} = {}): Promise<void> {
    await this.handle.close()
    if (options.replace) {
      const kind = await kindOf(target)
      if (kind && kind !== 'file') throw (this.errors.notRegular ?? this.errors.exists)(target, kind)
      await rename(this.path, target)
    } else {
      const linked = await link(this.path, target).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw this.errors.exists(target)
        if (!NO_HARD_LINKS.has(error.code!)) throw this.errors.unwritable(target, error)
        return false
      })
      if (linked) {
        await unlink(this.path)
      } else {
        // a file system without hard links (FAT, some network mounts): claim the name exclusively, then rename onto the claim
        await (await createExclusive(target, this.errors)).close()
        await rename(this.path, target)
      }
    }
    untrack(this.path)
  }

  /** Close and remove the file (after publish, nothing to do). */
  async discard(): Promise<void> {
    if (!live.has(this.path)) return
    await this.handle.close().catch(() => undefined)
    await unlink(this.path).catch(() => undefined)
    untrack(this.path)
  }
}
