/** When things made now stop working: invitations, API keys, the tenant migration login. */
export const DAY_MS = 86_400_000

/** The moment `days` days from now. */
export const expiresIn = (days: number): Date => new Date(Date.now() + days * DAY_MS)
