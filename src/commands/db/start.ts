import {BaseCommand, describe} from '../../base.js'
import type {DbStartResult} from '../../lib/results.js'

export default class DbStart extends BaseCommand<typeof DbStart> {
  static override description = describe(
    'Start the embedded PostgreSQL server and keep it running, so that later commands start instantly. It is initialised and migrated on first use.',
  )
  static override examples = ['<%= config.bin %> db start', 'ANTHIAS_DATA_DIR=./.anthias <%= config.bin %> db start --json']

  async run(): Promise<DbStartResult> {
    const {EmbeddedServer} = await import('../../lib/db/embedded.js')
    const {resolveDataDir} = await import('../../lib/db/data-dir.js')
    const {maskUrl} = await import('../../lib/db/url.js')
    const {symbols} = await import('../../ui/format.js')
    const server = new EmbeddedServer(resolveDataDir(this.config.dataDir))
    const url = await server.start()
    await this.database()
    const result = {dataDir: server.dataDir, url: maskUrl(url)}
    this.log(`${symbols.ok} Embedded PostgreSQL running at ${result.url}\n  data dir ${result.dataDir}\n  stop it with: ${this.commandLine({command: 'db.stop'})}`)
    return result
  }
}
