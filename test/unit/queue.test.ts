import {Webhook} from 'standardwebhooks'
import {describe, expect, it} from 'vitest'

import {parseEvents, signatureHeaders, webhookUrl} from '../../src/lib/notify/webhooks.js'
import {jobBatchSize} from '../../src/lib/queue/runs.js'
import {parseInterval} from '../../src/lib/queue/worker.js'

describe('queue and webhook input', () => {
  it('webhook URLs: https, or http to loopback only; no credentials, no control characters', () => {
    expect(webhookUrl('https://hooks.example.com/a?b=1')).toBe('https://hooks.example.com/a?b=1')
    expect(webhookUrl('http://127.0.0.1:8080/hook')).toBe('http://127.0.0.1:8080/hook')
    expect(webhookUrl('http://localhost/hook')).toBe('http://localhost/hook')
    for (const bad of ['http://hooks.example.com/a', 'ftp://x.example.com', 'not a url', 'https://user:pw@hooks.example.com/', 'http://127.0.0.1.evil.example.com/']) {
      expect(() => webhookUrl(bad), bad).toThrow(expect.objectContaining({code: 'WEBHOOK_URL_INVALID'}))
    }
    expect(() => webhookUrl('https://hooks.example.com/\u001b[2J')).toThrow(expect.objectContaining({code: 'TEXT_CONTROL_CHARACTER'}))
  })

  it('events: the known names, each once; anything else names the valid ones', () => {
    expect(parseEvents(['tenant.created', 'tenant.created', 'tenant.suspended'])).toEqual(['tenant.created', 'tenant.suspended'])
    expect(() => parseEvents(['tenant.created', '__proto__'])).toThrow(expect.objectContaining({code: 'EVENT_UNKNOWN', suggestions: expect.arrayContaining(['tenant.updated'])}))
  })

  it('--monitor-every: whole minutes from 1m to 24h', () => {
    expect(parseInterval('5m')).toBe(5)
    expect(parseInterval('1h')).toBe(60)
    expect(parseInterval('24h')).toBe(1440)
    for (const bad of ['30s', '0m', '25h', '5', 'm', '1.5m', '-1m']) expect(() => parseInterval(bad), bad).toThrow(expect.objectContaining({code: 'INTERVAL_INVALID'}))
  })

  it('jobs hold at most a quarter second of a --rate', () => {
    expect(jobBatchSize({})).toBe(250)
    expect(jobBatchSize({batchSize: 100})).toBe(100)
    expect(jobBatchSize({batchSize: 100, rate: 40})).toBe(10)
    expect(jobBatchSize({rate: 1})).toBe(1)
  })

  it('signatures verify with the Standard Webhooks library, and not for another body', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef01234567').toString('base64')}`
    const body = JSON.stringify({id: 'd-1', type: 'tenant.created', data: {subdomain: 'acme'}})
    const headers = signatureHeaders(secret, 'd-1', body)
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({type: 'tenant.created'})
    expect(() => new Webhook(secret).verify(body.replace('acme', 'evil'), headers)).toThrow()
  })
})
