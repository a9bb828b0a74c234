/**
 * The one rule for control characters in free text (names, the actor,
 * channels): refused on input by the schemas in validation.ts, made visible on
 * output by the terminal renderers (rows written before the rule, error
 * messages quoting input).
 *
 * Refused: C0 controls (tab and line breaks too), DEL, C1 controls, the line
 * and paragraph separators, and the bidirectional embeddings, overrides and
 * isolates, with which a name could clear a terminal, forge output or show
 * itself reversed. The left-to-right and right-to-left marks (U+200E, U+200F)
 * stay allowed: right-to-left names need them, and they reorder nothing but
 * the punctuation next to them.
 */
import {AppError} from './errors.js'

export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g')

const codePoint = (c: string) => c.charCodeAt(0).toString(16).toUpperCase()

/** The first control character of a text, as U+XXXX at its 1-based position; undefined when there is none. */
export function controlCharacter(text: string): string | undefined {
  const match = CONTROL_CHARACTER.exec(text)
  return match ? `U+${codePoint(match[0]).padStart(4, '0')} at position ${match.index + 1}` : undefined
}

/** The control characters JSON.stringify leaves as they are (it escapes C0 only). */
const JSON_UNESCAPED = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** JSON text with every control character as a \u escape: the same JSON, nothing in it a terminal would act on. */
export const escapeJsonControls = (json: string) => json.replace(JSON_UNESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** A text for the terminal: each control character as a visible escape (ESC as \x1B, U+202E as \u202E). */
export const escapeControls = (text: string) =>
  CONTROL_CHARACTER.test(text) ? text.replace(CONTROL_CHARACTERS, (c) => (c.charCodeAt(0) <= 0xff ? `\\x${codePoint(c).padStart(2, '0')}` : `\\u${codePoint(c)}`)) : text

/** The message for a text with a control character in it: `label` names the text. */
export const controlMessage = (label: string, found: string) => `${label} must not contain control or text-direction characters (found ${found})`

/** The rule for a text that is not parsed with a schema (the actor): TEXT_CONTROL_CHARACTER naming `field`. */
export function checkPlainText(text: string, label: string, field: string): string {
  const found = controlCharacter(text)
  if (found) throw new AppError('TEXT_CONTROL_CHARACTER', controlMessage(label, found), {field})
  return text
}
