import {describe, expect, it} from 'vitest'
import {z} from 'zod'

import {COMMAND_RESULTS} from '../../src/command-results.js'
import {ROUTE_COMMANDS, ROUTE_RESULTS} from '../../src/server/results.js'

const json = (schema: z.ZodType) => JSON.stringify(z.toJSONSchema(schema, {io: 'input'}))

describe("the API's results are the CLI's", () => {
  it.each(Object.entries(ROUTE_COMMANDS))('%s answers what %s --json gives (or, for a union, one of its cases)', (route, command) => {
    const cli = COMMAND_RESULTS[command].schema as z.ZodType
    const api = ROUTE_RESULTS[route as keyof typeof ROUTE_RESULTS] as z.ZodType
    const cases = cli instanceof z.ZodUnion ? [cli, ...(cli.options as z.ZodType[])] : [cli]
    expect(cases.map(json)).toContain(json(api))
  })
})
