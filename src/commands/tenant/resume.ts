import {describe} from '../../base.js'
import {StatusCommand} from '../../status-command.js'

export default class TenantResume extends StatusCommand<typeof TenantResume> {
  static override description = describe('Resume a suspended tenant: its status becomes active again.')
  static override examples = ['<%= config.bin %> tenant resume acme-corp', '<%= config.bin %> tenant resume acme-corp --json']
  protected readonly target = 'active'
}
