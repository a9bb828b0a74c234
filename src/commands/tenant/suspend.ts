import {describe} from '../../base.js'
import {StatusCommand} from '../../status-command.js'

export default class TenantSuspend extends StatusCommand<typeof TenantSuspend> {
  static override description = describe('Suspend a tenant: its status becomes suspended; nothing is deleted. Resume it with tenant resume.')
  static override examples = ['<%= config.bin %> tenant suspend acme-corp', '<%= config.bin %> tenant suspend acme-corp --json']
  protected readonly target = 'suspended'
}
