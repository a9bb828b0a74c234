import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/**
 * PATH with a directory holding `anthias` (a link to BIN) first, as after an
 * install: the CLI's hints then name it `anthias` (src/ui/hints.ts).
 */
export const PATH_WITH_ANTHIAS = (() => {
  const dir = join(tmpdir(), `anthias-test-bin-${createHash('sha256').update(BIN).digest('hex').slice(0, 12)}`)
  mkdirSync(dir, {recursive: true})
  try {
    symlinkSync(BIN, join(dir, 'anthias'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  return [dir, process.env.PATH].filter(Boolean).join(delimiter)
})()

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  json?: {status: number; result?: unknown; error?: {code: string; message: string; field?: string; suggestions: string[]}; warnings?: string[]}
}

/** Run the built CLI as a user would, without a terminal. */
export function cli(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string; cwd?: string} = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {env: {...process.env, PATH: PATH_WITH_ANTHIAS, NO_COLOR: '1', ...options.env}, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        let json: CliResult['json']
        if (args.includes('--json')) {
          try {
            json = JSON.parse(stdout)
          } catch {
            json = undefined
          }
        }
        resolve({code, stdout, stderr, json})
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
    else child.stdin?.end()
  })
}

