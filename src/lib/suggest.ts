import {createRequire} from 'node:module'

/**
 * The candidate closest to `input` by edit distance, if it is close enough to be a likely typo.
 * fast-levenshtein is loaded by the first typo, not by every command's start-up.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const levenshtein = createRequire(import.meta.url)('fast-levenshtein') as typeof import('fast-levenshtein')
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = levenshtein.get(input.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 2)) ? best : undefined
}
