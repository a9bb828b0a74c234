import {describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'

/** An unknown command renders an error block (src/ui/format.ts) without touching a database. */
const errorBlock = async (env: NodeJS.ProcessEnv) => (await cli(['tenat'], {env})).stderr

describe('colour level, set where chalk is first loaded (src/ui/chalk.ts)', () => {
  it('FORCE_COLOR colours the marks and codes; NO_COLOR turns colour off even then', async () => {
    const forced = await errorBlock({NO_COLOR: '', FORCE_COLOR: '1'})
    expect(forced).toContain('\u001b[31m✖\u001b[39m')
    expect(forced).toContain('UNKNOWN_COMMAND')
    const off = await errorBlock({NO_COLOR: '1', FORCE_COLOR: '1'})
    expect(off).toContain('✖ UNKNOWN_COMMAND')
    expect(off).not.toContain('\u001b[')
  })
})
