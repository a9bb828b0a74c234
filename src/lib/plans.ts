import type {Sql, TransactionSql} from 'postgres'

import {AppError, notFound} from './errors.js'
import {closest} from './suggest.js'
import type {Limits} from './validation.js'

/** The plan a tenant gets when none is named (README: `--plan`, the CSV's `plan`, the wizard's first answer). */
export const DEFAULT_PLAN = 'basic'

export interface Plan {
  id: string
  name: string
  limits: Limits
  features: string[]
  priceMonthlyCents: number
  /** e.g. "$99" */
  priceMonthly: string
}

export interface Catalog {
  plans: Plan[]
  features: {name: string; description: string}[]
}

interface PlanRow extends Limits {
  id: string
  name: string
  features: string[]
  priceMonthlyCents: number
}

const toPlan = (row: PlanRow): Plan => ({
  id: row.id,
  name: row.name,
  limits: {maxAssets: row.maxAssets, maxUsers: row.maxUsers, maxDevices: row.maxDevices, storageQuotaGb: row.storageQuotaGb},
  features: row.features,
  priceMonthlyCents: row.priceMonthlyCents,
  priceMonthly: `$${(row.priceMonthlyCents / 100).toFixed(row.priceMonthlyCents % 100 === 0 ? 0 : 2)}`,
})

/** Plans and feature names, in one round trip. */
export async function loadCatalog(sql: Sql | TransactionSql): Promise<Catalog> {
  const [row] = await sql<{plans: PlanRow[]; features: Catalog['features']}[]>`
    select
      (select coalesce(json_agg(json_build_object(
          'id', id, 'name', name, 'maxAssets', max_assets, 'maxUsers', max_users, 'maxDevices', max_devices,
          'storageQuotaGb', storage_quota_gb, 'features', features, 'priceMonthlyCents', price_monthly_cents)
        order by position), '[]') from plans) as plans,
      (select coalesce(json_agg(json_build_object('name', name, 'description', description) order by name), '[]') from features) as features`
  return {plans: (row?.plans ?? []).map(toPlan), features: row?.features ?? []}
}

export async function listPlans(sql: Sql): Promise<Plan[]> {
  return (await loadCatalog(sql)).plans
}

export function findPlan(catalog: Catalog, id: string, field = 'plan'): Plan {
  const plan = catalog.plans.find((p) => p.id === id.trim().toLowerCase())
  if (plan) return plan
  const ids = catalog.plans.map((p) => p.id)
  const guess = closest(id, ids)
  throw new AppError('PLAN_UNKNOWN', `Unknown plan "${id}"${guess ? `; did you mean "${guess}"?` : '.'} Plans: ${ids.join(', ')}.`, {
    field,
    suggestions: guess ? [guess] : ids,
  })
}

export async function getPlan(sql: Sql, id: string): Promise<Plan> {
  const catalog = await loadCatalog(sql)
  try {
    return findPlan(catalog, id)
  } catch (error) {
    const e = error as AppError
    throw notFound('PLAN_NOT_FOUND', e.message, e.suggestions)
  }
}

/** Throws FEATURE_UNKNOWN naming the closest valid feature. */
export function checkFeatureName(catalog: Catalog, name: string, field = 'feature'): AppError | undefined {
  const names = catalog.features.map((f) => f.name)
  if (names.includes(name)) return undefined
  const guess = closest(name, names)
  return new AppError('FEATURE_UNKNOWN', `Unknown feature "${name}"${guess ? `; did you mean "${guess}"?` : ''}`, {
    field,
    suggestions: guess ? [guess, ...names.filter((n) => n !== guess)] : names,
  })
}
