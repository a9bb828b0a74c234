#!/usr/bin/env node
import {execute} from '@oclif/core'

// `anthias ... | head -1`: the reader has gone, so there is no one left to write
// to; stop quietly with the exit code so far, as a pipe's writer does on SIGPIPE
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? 0)
})

await execute({dir: import.meta.url})
