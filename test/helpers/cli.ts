import {execFile} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  json?: {status: number; result?: unknown; error?: {code: string; message: string; field?: string; suggestions: string[]}; warnings?: string[]}
}

/** Run the built CLI as a user would, without a terminal. */
export function cli(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string} = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {env: {...process.env, NO_COLOR: '1', ...options.env}, maxBuffer: 64 * 1024 * 1024, timeout: 120_000},
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

