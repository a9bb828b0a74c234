import {createHash, randomBytes, randomInt} from 'node:crypto'

export const BCRYPT_COST = 12

export async function hashPassword(password: string): Promise<string> {
  const {default: bcrypt} = await import('bcryptjs')
  return bcrypt.hash(password, BCRYPT_COST)
}

/** A one-time token (256 bits) and the SHA-256 that is stored in its place. */
export function newToken(prefix: string): {token: string; hash: string} {
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`
  return {token, hash: hashToken(token)}
}

export const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex')

/** Tokens and keys carry 256 random bits, so a plain SHA-256 is the right stored form. */
export const hashToken = (token: string) => sha256(token)

const CLASSES = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!@#$%^&*-_=+?']

/** A random password with every character class, meeting any policy up to `length`. */
export function generatePassword(length = 20): string {
  const all = CLASSES.join('')
  const chars = CLASSES.map((set) => set[randomInt(set.length)]!)
  while (chars.length < length) chars.push(all[randomInt(all.length)]!)
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[chars[i], chars[j]] = [chars[j]!, chars[i]!]
  }
  return chars.join('')
}
