import {Listr} from 'listr2'
import type {Sql} from 'postgres'

import type {Context} from '../lib/context.js'
import {loadCatalog} from '../lib/plans.js'
import {
  type CreateTenantResult,
  type FieldName,
  getTenant,
  hashOwnerPassword,
  insertTenant,
  type TenantInput,
  validateTenantSpec,
  type ValidatedSpec,
} from '../lib/tenants.js'

interface Ctx {
  valid?: ValidatedSpec
  hash?: string
  result?: CreateTenantResult
}

/** createTenant as a listr2 task list: each step shown as it runs. */
export async function createTenantWithTasks(sql: Sql, input: TenantInput, ctx: Context, fieldName?: FieldName): Promise<CreateTenantResult> {
  const tasks = new Listr<Ctx>(
    [
      {
        title: 'Check the answers against the plan catalog',
        task: async (c) => {
          c.valid = validateTenantSpec(input, await loadCatalog(sql), ctx.baseDomain, fieldName)
        },
      },
      {
        title: 'Hash the owner password (bcrypt, cost 12)',
        skip: () => input.ownerPassword === undefined && 'no password: the owner gets an invitation',
        task: async (c) => {
          c.hash = await hashOwnerPassword(c.valid!)
        },
      },
      {
        title: 'Create tenant, features, owner and audit row in one transaction',
        task: async (c) => {
          c.result = await insertTenant(sql, c.valid!, c.hash, ctx, fieldName)
        },
      },
      {
        title: 'Read the tenant back',
        task: async (c, task) => {
          const t = await getTenant(sql, c.result!.tenant.id, ctx.baseDomain)
          task.title = `Read the tenant back: ${t.subdomain} is ${t.status}`
        },
      },
    ],
    {exitOnError: true, rendererOptions: {collapseSubtasks: false}, fallbackRendererCondition: !process.stdout.isTTY},
  )
  const done = await tasks.run({})
  return done.result!
}
