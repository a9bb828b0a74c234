/** CSV fields for the files and lists anthias writes (bulk --report, list --csv). */

/** A cell a spreadsheet would take for a formula: it starts with =, +, -, @, a tab or a CR. */
const FORMULA_START = /^[=+\-@\t\r]/

/** One CSV field: quoted when it must be, and never taken by a spreadsheet for a formula. */
export const csvCell = (v: unknown) => {
  const text = v === undefined || v === null ? '' : String(v)
  // OWASP's rule against CSV injection: such a cell starts with a ' so that it is shown as text, never run
  const s = FORMULA_START.test(text) ? `'${text}` : text
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
