import {Flags} from '@oclif/core'

import {describe} from '../../base.js'
import {listFlags} from '../../flags.js'
import {ListCommand} from '../../list-command.js'
import type {NotificationRow} from '../../lib/notify/deliver.js'
import type {NotificationListResult} from '../../lib/results.js'

export default class NotificationList extends ListCommand<typeof NotificationList> {
  static override description = describe('List notifications (quota breaches from monitor check, provisioning events for webhooks), newest first, with their delivery state: pending, sent, retrying (with the last error) or failed (retries exhausted). `anthias worker` delivers them.')
  static override examples = [
    '<%= config.bin %> notification list',
    '<%= config.bin %> notification list --state retrying',
    '<%= config.bin %> notification list --state failed --json',
  ]
  static override flags = {
    state: Flags.string({description: 'only notifications in this state', options: ['pending', 'sent', 'retrying', 'failed']}),
    ...listFlags(50),
  }

  async run(): Promise<NotificationListResult | undefined> {
    const {listNotifications} = await import('../../lib/notify/deliver.js')
    const {sql} = await this.database()
    return this.list<NotificationRow>({
      columns: [
        {name: 'id', value: (r) => r.id},
        {name: 'created', value: (r) => r.createdAt.toISOString().slice(0, 16).replace('T', ' ')},
        {name: 'tenant', value: (r) => r.tenant ?? '-'},
        {name: 'event', value: (r) => r.event},
        {name: 'channel', value: (r) => r.channel},
        {name: 'state', value: (r) => r.state},
        {name: 'attempts', value: (r) => String(r.attempts)},
        {name: 'error', value: (r) => r.lastError ?? ''},
        {name: 'delivery-id', value: (r) => r.deliveryId},
        {name: 'sent', value: (r) => r.sentAt?.toISOString() ?? ''},
      ],
      defaults: ['id', 'created', 'tenant', 'event', 'channel', 'state', 'attempts', 'error'],
      empty: 'No notifications.',
      fetch: (page) => listNotifications(sql, {...page, state: this.flags.state as NotificationRow['state'] | undefined}),
    })
  }
}
