/** When things made now stop working: invitations, API keys, the tenant migration login. */
export const DAY_MS = 86_400_000

/** The moment `days` days from now. */
export const expiresIn = (days: number): Date => new Date(Date.now() + days * DAY_MS)

const SPAN_MS = {m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS}

/** A span such as 30m, 24h, 7d or 2w, in milliseconds; undefined for any other text. */
export function parseSpan(text: string): number | undefined {
  const span = /^(\d+)\s*([mhdw])$/.exec(text.trim())
  return span ? Number(span[1]) * SPAN_MS[span[2] as keyof typeof SPAN_MS] : undefined
}
