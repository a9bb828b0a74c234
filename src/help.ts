import {Help} from '@oclif/core'

/**
 * oclif's help, with the provisioning guide's names (create_tenant, ...) in one
 * short section at the end of the root help instead of among the commands; and
 * help for a command that does not exist (`tenant creat --help`) answered as
 * the command itself would be: the closest command, exit 2 (the
 * command_not_found hook), not oclif's bare "Command tenant:creat not found".
 */
export default class AnthiasHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv)
    } catch (error) {
      const [, id] = /^Command (\S+) not found\.$/.exec((error as Error).message ?? '') ?? []
      if (id === undefined) throw error
      await this.config.runHook('command_not_found', {id, argv})
    }
  }

  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const aliases = this.config.commands
      .filter((c) => !c.hidden)
      .flatMap((c) => (c.hiddenAliases ?? []).map((alias): [string, string] => [alias, c.id.replaceAll(':', this.config.topicSeparator)]))
      .sort(([a], [b]) => a.localeCompare(b))
    if (aliases.length === 0) return
    this.log(this.section('GUIDE ALIASES', this.renderList(aliases, {indentation: 2, stripAnsi: this.opts.stripAnsi})))
    this.log('')
  }
}
