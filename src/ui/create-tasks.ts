import {Listr} from 'listr2'
import type {Sql} from 'postgres'

import type {Context} from '../lib/context.js'
import type {Step} from '../lib/progress.js'
import {CREATE_TENANT_STEPS, createTenant, type CreateTenantResult, type CreateTenantStep, type FieldName, type TenantInput} from '../lib/tenants.js'

const TITLES: Record<CreateTenantStep, string> = {
  validate: 'Check the answers against the plan catalog',
  hash: 'Hash the owner password (bcrypt, cost 12)',
  insert: 'Create tenant, features, owner and audit row in one transaction',
  verify: 'Read the tenant back',
}
const SKIPPED: Partial<Record<CreateTenantStep, string>> = {hash: 'no password: the owner gets an invitation'}

/** A step's end as createTenant reports it, or its failure. */
interface Pending {
  promise: Promise<Step<CreateTenantStep>>
  settle(step: Step<CreateTenantStep>): void
  fail(error: unknown): void
}

function pending(): Pending {
  let settle!: Pending['settle']
  let fail!: Pending['fail']
  const promise = new Promise<Step<CreateTenantStep>>((resolve, reject) => ((settle = resolve), (fail = reject)))
  promise.catch(() => undefined) // the steps after a failed one are never awaited
  return {promise, settle, fail}
}

/** createTenant with its steps (its onStep) shown as a listr2 task list. */
export async function createTenantWithTasks(sql: Sql, input: TenantInput, ctx: Context, fieldName?: FieldName): Promise<CreateTenantResult> {
  const ends = new Map(CREATE_TENANT_STEPS.map((s) => [s, pending()]))
  const tasks = new Listr(
    CREATE_TENANT_STEPS.map((name) => ({
      title: TITLES[name],
      task: async (_: unknown, task: {title: string; skip(message: string): void}) => {
        const end = await ends.get(name)!.promise
        if (end.state === 'skipped') task.skip(SKIPPED[name] ?? 'nothing to do')
        else if (end.detail) task.title = `${TITLES[name]}: ${end.detail}`
      },
    })),
    {exitOnError: true, rendererOptions: {collapseSubtasks: false}, fallbackRendererCondition: !process.stdout.isTTY},
  )
  const shown = tasks.run()
  shown.catch(() => undefined) // the failure is createTenant's, thrown below
  try {
    const result = await createTenant(sql, input, ctx, fieldName, (step) => {
      if (step.state !== 'start') ends.get(step.step)!.settle(step)
    })
    await shown
    return result
  } catch (error) {
    for (const end of ends.values()) end.fail(error)
    await shown.catch(() => undefined)
    throw error
  }
}
