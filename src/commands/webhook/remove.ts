import {Args} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {WebhookRemoveResult} from '../../lib/results.js'

export default class WebhookRemove extends BaseCommand<typeof WebhookRemove> {
  static override description = describe('Remove a webhook endpoint: no more events are queued for it, and deliveries still queued to it fail (WEBHOOK_NOT_REGISTERED) until it is added again.')
  static override examples = ['<%= config.bin %> webhook remove https://billing.example.com/hooks/anthias']
  static override args = {url: Args.string({description: 'the URL as registered', required: true})}

  async run(): Promise<WebhookRemoveResult> {
    const {removeWebhook} = await import('../../lib/notify/webhooks.js')
    const endpoint = await removeWebhook((await this.database()).sql, this.args.url, await this.context())
    this.log(`Removed webhook ${endpoint.url}.`)
    return endpoint
  }
}
