import {BaseCommand, describe} from '../../base.js'
import type {WebhookListResult} from '../../lib/results.js'

export default class WebhookList extends BaseCommand<typeof WebhookList> {
  static override description = describe('List the webhook endpoints and the provisioning events each subscribes to (secrets are never shown again).')
  static override examples = ['<%= config.bin %> webhook list', '<%= config.bin %> webhook list --json']

  async run(): Promise<WebhookListResult> {
    const {listWebhooks} = await import('../../lib/notify/webhooks.js')
    const {table} = await import('../../ui/format.js')
    const items = await listWebhooks((await this.database()).sql)
    this.log(items.length === 0 ? 'No webhooks.' : table(['url', 'events', 'created'], items.map((e) => [e.url, e.events.join(', ') || '-', e.createdAt.toISOString().slice(0, 16).replace('T', ' ')])))
    return {items}
  }
}
