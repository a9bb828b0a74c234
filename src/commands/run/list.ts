import {Flags} from '@oclif/core'

import {describe} from '../../base.js'
import {listFlags} from '../../flags.js'
import {ListCommand} from '../../list-command.js'
import type {RunSummary} from '../../lib/queue/runs.js'
import type {RunListResult} from '../../lib/results.js'

export default class RunList extends ListCommand<typeof RunList> {
  static override description = describe('List provisioning runs, queued and direct, newest first, with their rows counted by state, a page at a time (50 by default; --all for every run). --json gives {items, nextCursor, total}.')
  static override examples = [
    '<%= config.bin %> run list',
    '<%= config.bin %> run list --status running',
    '<%= config.bin %> run list --all --json',
  ]
  static override flags = {
    status: Flags.string({description: 'only runs in this state', options: ['queued', 'running', 'completed', 'failed', 'cancelled']}),
    ...listFlags(50),
  }

  async run(): Promise<RunListResult | undefined> {
    const {listRuns} = await import('../../lib/queue/runs.js')
    const {sql} = await this.database()
    return this.list<RunSummary>({
      columns: [
        {name: 'id', value: (r) => r.id},
        {name: 'started', value: (r) => r.startedAt.toISOString().slice(0, 16).replace('T', ' ')},
        {name: 'mode', value: (r) => (r.queued ? 'queued' : 'direct')},
        {name: 'status', value: (r) => r.status},
        {name: 'file', value: (r) => r.fileName},
        {name: 'total', value: (r) => String(r.total)},
        {name: 'pending', value: (r) => String(r.counts.pending)},
        {name: 'created', value: (r) => String(r.counts.created)},
        {name: 'unchanged', value: (r) => String(r.counts.unchanged)},
        {name: 'failed', value: (r) => String(r.counts.failed)},
        {name: 'cancelled', value: (r) => String(r.counts.cancelled)},
        {name: 'rate', value: (r) => (r.rate ? String(r.rate) : '')},
        {name: 'finished', value: (r) => r.finishedAt?.toISOString() ?? ''},
      ],
      defaults: ['id', 'started', 'mode', 'status', 'file', 'total', 'pending', 'created', 'unchanged', 'failed'],
      empty: 'No runs.',
      fetch: (page) => listRuns(sql, {...page, status: this.flags.status}),
    })
  }
}
