/**
 * How fast a run writes: the bounds of --rate and --batch-size, shared by the
 * CLI's flags, the API's query string (POST /v1/runs) and the library's defaults.
 */
export const PACE = {
  /** tenants per transaction (a direct run) or per job (a queued one) */
  batchSize: {default: 250, min: 1, max: 5000},
  /** at most this many tenants per second; provisioning_runs.rate is an integer column */
  rate: {min: 1, max: 2_147_483_647},
} as const
