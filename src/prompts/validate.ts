import type {z} from 'zod'

/** An inquirer validator from a zod schema: true, or the first problem in words. */
export const by = (schema: z.ZodType) => (value: string) => {
  const result = schema.safeParse(value)
  return result.success || (result.error.issues[0]?.message ?? 'invalid')
}

/** The same, letting an empty answer through. */
export const optional = (schema: z.ZodType) => (value: string) => value.trim() === '' || by(schema)(value)
