import {describe, expect, it} from 'vitest'

import {bulkOutcome, publicReport} from '../../src/lib/bulk/report.js'
import type {BulkReport} from '../../src/lib/bulk/provision.js'
import {AppError} from '../../src/lib/errors.js'

const report = (over: Partial<BulkReport>): BulkReport => ({
  runId: 'r', file: 'f.csv', sha256: 'x', source: 'csv', dryRun: false, total: 1, created: 0, unchanged: 0, failed: 1,
  errors: [], rows: [], invitations: 0, durationMs: 0, stopped: false, ...over,
})

describe('a bulk report outside its report file', () => {
  it("renders its errors' actions with the caller's renderer and keeps them as data", () => {
    const error = new AppError('TENANT_NOT_FOUND', 'gone', {line: 2})
    const shown = publicReport(report({errors: [error]}), (a) => `cli ${a.command}`)
    expect(shown.errors).toEqual([{code: 'TENANT_NOT_FOUND', message: 'gone', line: 2, suggestions: ['cli tenant.list'], actions: [{command: 'tenant.list', text: 'List tenants with `{command}`.'}]}])
    // with no renderer, the neutral text
    expect(publicReport(report({errors: [error]})).errors[0]).toMatchObject({suggestions: ['List tenants with `tenant.list`.']})
  })

  it('amounts to BULK_REFUSED (invalid) when nothing was created, BULK_PARTIAL (partial) when some rows failed', () => {
    const problem = new AppError('NAME_INVALID', 'bad', {line: 2})
    expect(bulkOutcome(report({stopped: true, errors: [problem]}))).toMatchObject({code: 'BULK_REFUSED', kind: 'invalid'})
    expect(bulkOutcome(report({created: 1, total: 2, errors: [problem]}))).toMatchObject({code: 'BULK_PARTIAL', kind: 'partial'})
    expect(bulkOutcome(report({failed: 0}))).toBeUndefined()
  })
})
