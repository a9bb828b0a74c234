/**
 * The command surface as scripts see it, from oclif.manifest.json: every
 * command with its aliases, arguments and flags (name, type, char, required,
 * default, options, multiple, --no- form, exclusive). command-snapshot.json
 * holds it; test/e2e/contract-files.test.ts fails when a command or flag
 * changes without it (`npm run snapshot` writes it again).
 */
interface ManifestFlag {
  type: 'boolean' | 'option'
  char?: string
  required?: boolean
  default?: unknown
  options?: string[]
  multiple?: boolean
  allowNo?: boolean
  exclusive?: string[]
  hidden?: boolean
}
interface ManifestCommand {
  aliases?: string[]
  hiddenAliases?: string[]
  args: Record<string, {required?: boolean; options?: string[]; default?: unknown}>
  flags: Record<string, ManifestFlag>
}

const defined = (entries: [string, unknown][]) => Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== false))

/** A command class's flags, for the boolean defaults the manifest leaves out (tenant delete --backup is on by default). */
export type CommandFlags = Record<string, {flags?: Record<string, {default?: unknown}>; baseFlags?: Record<string, {default?: unknown}>}>

export function commandSnapshot(manifest: {commands: Record<string, ManifestCommand>}, classes: CommandFlags): Record<string, unknown> {
  return Object.fromEntries(Object.keys(manifest.commands).sort().map((id) => {
    const c = manifest.commands[id]!
    return [id, {
      aliases: [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])].sort(),
      // arguments in their order: the order is part of the command line
      args: Object.entries(c.args).map(([name, a]) => defined([['name', name], ['required', a.required], ['options', a.options], ['default', a.default]])),
      flags: Object.keys(c.flags).sort().map((name) => {
        const f = c.flags[name]!
        const declared = {...classes[id]?.baseFlags, ...classes[id]?.flags}[name]?.default
        const fallback = f.type === 'boolean' && typeof declared === 'boolean' ? declared : undefined
        return defined([
          ['name', name], ['type', f.type], ['char', f.char], ['required', f.required], ['default', f.default ?? fallback], ['options', f.options],
          ['multiple', f.multiple], ['allowNo', f.allowNo], ['exclusive', f.exclusive && [...f.exclusive].sort()], ['hidden', f.hidden],
        ])
      }),
    }]
  }))
}
