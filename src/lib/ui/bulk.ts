/** Progress and summaries for bulk runs: a listr2 task tree in a terminal, plain lines on stderr otherwise. */
import {writeFile, chmod} from 'node:fs/promises'

import {Listr, type ListrTaskWrapper} from 'listr2'

import type {BulkProgress, BulkReport} from '../bulk/provision.js'

const PHASES = ['validate', 'conflicts', 'provision', 'verify'] as const
const TITLES: Record<(typeof PHASES)[number], string> = {
  validate: 'Parse and validate every row',
  conflicts: 'Check conflicts with the database (one query)',
  provision: 'Provision tenants',
  verify: 'Verify created tenants',
}

const describeProgress = (p: BulkProgress) =>
  p.phase === 'provision'
    ? `${p.done}/${p.total}${p.rate ? `, ${Math.round(p.rate)}/s` : ''}${p.etaSeconds !== undefined ? `, ETA ${Math.ceil(p.etaSeconds)}s` : ''}`
    : `${p.done}${p.total && p.phase !== 'validate' ? `/${p.total}` : ''} rows`

type Run = (onProgress: (p: BulkProgress) => void) => Promise<BulkReport>

/** Plain progress lines on stderr, at most one a second per phase. */
export async function withProgressLines(run: Run): Promise<BulkReport> {
  let last = 0
  let phase = ''
  return run((p) => {
    const now = Date.now()
    if (p.phase === phase && now - last < 1000 && p.done !== p.total) return
    phase = p.phase
    last = now
    process.stderr.write(`${p.phase}: ${describeProgress(p)}\n`)
  })
}

/** A listr2 task tree: one task a phase, its title updated as the run goes. */
export async function withTaskTree(run: Run): Promise<BulkReport> {
  const done = new Map(PHASES.map((phase) => {
    let resolve!: () => void
    const promise = new Promise<void>((r) => (resolve = r))
    return [phase, {promise, resolve}] as const
  }))
  const tasks = new Map<string, ListrTaskWrapper<unknown, never, never>>()
  let current = 0
  const advance = (index: number) => {
    for (; current < index; current++) done.get(PHASES[current]!)!.resolve()
  }
  const running = run((p) => {
    advance(PHASES.indexOf(p.phase))
    const task = tasks.get(p.phase)
    if (task) task.title = `${TITLES[p.phase]}: ${describeProgress(p)}`
  }).finally(() => advance(PHASES.length))
  const list = new Listr(
    PHASES.map((phase) => ({
      title: TITLES[phase],
      task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
        tasks.set(phase, task)
        await Promise.race([done.get(phase)!.promise, running.then(() => undefined)])
      },
    })),
    {exitOnError: false},
  )
  const [report] = await Promise.all([running, list.run().catch(() => undefined)])
  return report
}

/** The guide's summary: Successful, Failed, and each failed tenant with its reason. */
export function formatSummary(report: BulkReport): string {
  const failed = report.rows.filter((r) => r.outcome === 'failed')
  const lines = [
    `${report.dryRun ? 'Dry run complete (nothing was written)' : 'Provisioning complete'}:`,
    `  Successful: ${report.created + report.unchanged}${report.unchanged > 0 ? ` (${report.created} ${report.dryRun ? 'would be created' : 'created'}, ${report.unchanged} unchanged)` : ''}`,
    `  Failed: ${report.failed}`,
  ]
  if (failed.length > 0) {
    lines.push('', 'Failed tenants:')
    for (const r of failed) lines.push(`  - ${r.name} (line ${r.line}): ${r.error?.code}: ${r.error?.message}${r.error?.field ? ` [${r.error.field}]` : ''}`)
  }
  if (report.errors.length > failed.length) {
    lines.push('', `Every problem (${report.errors.length}):`)
    for (const e of report.errors) lines.push(`  line ${e.line}${e.field ? `, ${e.field}` : ''}: ${e.code}: ${e.message}`)
  }
  if (report.stopped) lines.push('', 'Stopped at the first problem (--stop-on-error); nothing after it was written.')
  return lines.join('\n')
}

const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** Per-row results with one-time invitation tokens: JSON for *.json, CSV otherwise; mode 0600. */
export async function writeReport(path: string, report: BulkReport): Promise<void> {
  let text: string
  if (path.endsWith('.json')) {
    text = JSON.stringify({runId: report.runId, file: report.file, sha256: report.sha256, dryRun: report.dryRun, rows: report.rows}, null, 2) + '\n'
  } else {
    const header = ['line', 'name', 'subdomain', 'outcome', 'tenant_id', 'access_url', 'invitations', 'error_code', 'error_message']
    const rows = report.rows.map((r) => [
      r.line, r.name, r.subdomain, r.outcome, r.tenantId, r.accessUrl,
      (r.invitations ?? []).map((i) => `${i.role}:${i.email}:${i.token}`).join(' '), r.error?.code, r.error?.message,
    ].map(csvCell).join(','))
    text = [header.join(','), ...rows].join('\n') + '\n'
  }
  await writeFile(path, text, {mode: 0o600})
  await chmod(path, 0o600)
}
