import type {Hook} from '@oclif/core'

import {AppError, ExitCode} from '../lib/errors.js'
import {closest} from '../lib/suggest.js'

/**
 * An unknown command: name the closest one and exit 2 (usage), the same in a
 * terminal, a pipe or with --json (then as the JSON error envelope). It never
 * prompts, so a script never runs a command it did not ask for.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  const {config} = opts
  const spaced = (id: string) => id.replaceAll(':', config.topicSeparator)
  const visible = config.commands.filter((c) => !c.hidden)
  const ids = [...visible.map((c) => c.id), ...visible.flatMap((c) => [...c.aliases, ...(c.hiddenAliases ?? [])])]
  const match = closest(opts.id, ids)
  const given = spaced(opts.id)
  const error = new AppError('UNKNOWN_COMMAND', `"${given}" is not an ${config.bin} command${match ? `; did you mean "${spaced(match)}"?` : '.'}`, {
    exit: ExitCode.usage,
    suggestions: [...(match ? [`${config.bin} ${spaced(match)}`] : []), `Run "${config.bin} --help" for the topics and commands.`],
  })
  process.exitCode = error.exit
  if (opts.argv?.includes('--json')) {
    process.stdout.write(JSON.stringify({status: error.exit, error: error.toJSON(), warnings: []}, null, 2) + '\n')
    return
  }
  const {formatError} = await import('../ui/format.js')
  process.stderr.write(formatError(error) + '\n')
}

export default hook
