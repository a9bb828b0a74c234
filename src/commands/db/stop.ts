import {BaseCommand, describe} from '../../base.js'
import type {DbStopResult} from '../../lib/results.js'

export default class DbStop extends BaseCommand<typeof DbStop> {
  static override description = describe(
    'Stop the embedded PostgreSQL server. If other anthias commands are using it, it stops when the last of them finishes.',
  )
  static override examples = ['<%= config.bin %> db stop', '<%= config.bin %> db stop --json']

  async run(): Promise<DbStopResult> {
    const {EmbeddedServer} = await import('../../lib/db/embedded.js')
    const {resolveDataDir} = await import('../../lib/db/data-dir.js')
    const {symbols} = await import('../../ui/format.js')
    const server = new EmbeddedServer(resolveDataDir(this.config.dataDir))
    const {stopped, busy} = await server.stop()
    if (stopped) this.log(`${symbols.ok} Embedded PostgreSQL stopped.`)
    else if (busy.length > 0) this.log(`${symbols.info} In use by ${busy.length} command(s) (pid ${busy.join(', ')}); it stops when they finish.`)
    else this.log(`${symbols.ok} Embedded PostgreSQL is not running.`)
    return {dataDir: server.dataDir, stopped, busy}
  }
}
