import {describe, expect, it} from 'vitest'

import {toAppError} from '../../src/lib/driver-errors.js'
import {AppError} from '../../src/lib/errors.js'
import {QUOTA_SQLSTATE} from '../../src/lib/usage.js'

describe('toAppError: driver errors as AppErrors, in lib', () => {
  it('keeps an AppError as it is', () => {
    const e = new AppError('NAME_INVALID', 'x')
    expect(toAppError(e)).toBe(e)
  })

  it("a quota trigger's refusal is QUOTA_EXCEEDED, a conflict, with the update that raises the limit as an action", () => {
    const refusal = Object.assign(new Error('users: 1 in use of 1 allowed'), {code: QUOTA_SQLSTATE, detail: JSON.stringify({subdomain: 'acme', resource: 'users', used: 1, adding: 1, limit: 1})})
    expect(toAppError(refusal)).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      kind: 'conflict',
      field: 'max_users',
      suggestions: [{command: 'tenant.update', args: {tenant: 'acme', maxUsers: 2}}, {command: 'user.remove', args: {tenant: 'acme', email: null}}],
    })
  })

  it('a lock timeout names what was locked and the command to run again', () => {
    const e = toAppError(Object.assign(new Error('canceling statement due to lock timeout'), {code: '55P03'}), {subject: 'Tenant acme', retry: {command: 'tenant.update'}})
    expect(e).toMatchObject({code: 'LOCK_TIMEOUT', kind: 'failed', details: {subject: 'Tenant acme'}})
    expect(e.suggestions[0]).toEqual({command: 'tenant.update', text: 'Run `{command}` again when the other transaction has ended.'})
    expect(toAppError(Object.assign(new Error('canceling statement due to statement timeout'), {code: '57014'}))).toMatchObject({code: 'STATEMENT_TIMEOUT', kind: 'failed'})
  })

  it('anything else is OPERATION_FAILED keeping its cause', () => {
    const cause = Object.assign(new Error('boom'), {code: 'XX000'})
    expect(toAppError(cause)).toMatchObject({code: 'OPERATION_FAILED', kind: 'failed', message: 'boom', cause})
    expect(toAppError('text')).toMatchObject({code: 'OPERATION_FAILED', message: 'text'})
  })
})
