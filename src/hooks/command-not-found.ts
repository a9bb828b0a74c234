import type {Hook} from '@oclif/core'

import {exitCodeOf} from '../exit-codes.js'
import {type Action, AppError} from '../lib/errors.js'
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
  // a mistyped topic (`tenannt`) is answered with the topic's help
  const topics = config.topics.filter((t) => !t.hidden && !ids.includes(t.name)).map((t) => t.name)
  const match = closest(opts.id, [...ids, ...topics])
  const topic = match !== undefined && topics.includes(match)
  const given = spaced(opts.id)
  const error = new AppError('UNKNOWN_COMMAND', `"${given}" is not an ${config.bin} command${match ? `; did you mean "${spaced(match)}"?` : '.'}`, {
    suggestions: [
      ...(match ? [topic ? {command: match.replaceAll(':', '.'), args: {help: true}} : {command: match.replaceAll(':', '.')}] : []),
      {command: '', args: {help: true}, text: 'Run "{command}" for the topics and commands.'},
    ],
  })
  const {commandLine} = await import('../ui/hints.js')
  const render = (action: Action) => commandLine(action, config)
  process.exitCode = exitCodeOf(error)
  if (opts.argv?.includes('--json')) {
    process.stdout.write(JSON.stringify({status: exitCodeOf(error), error: error.toEnvelope(render), warnings: []}, null, 2) + '\n')
    return
  }
  const {formatError} = await import('../ui/format.js')
  process.stderr.write(formatError(error, render) + '\n')
}

export default hook
