#!/usr/bin/env node
// Checked before anything is imported: on an older Node the CLI would start,
// warn and then fail somewhere in the middle of a command.
const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(`anthias needs Node.js 22 or newer; this is Node.js ${process.versions.node}.\n`)
  process.exit(1)
}

// `anthias ... | head -1`: the reader has gone, so there is no one left to write
// to; stop quietly with the exit code so far, as a pipe's writer does on SIGPIPE
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? 0)
})

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
