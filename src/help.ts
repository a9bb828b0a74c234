import {Help} from '@oclif/core'

/**
 * oclif's help, with the provisioning guide's names (create_tenant, ...) in one
 * short section at the end of the root help instead of among the commands.
 */
export default class AnthiasHelp extends Help {
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
