/**
 * A PostgreSQL lexer just deep enough to tell code from data: comments (nested
 * block comments too), string constants ('', E'', U&'', B'', X''), quoted
 * identifiers ("", U&""), dollar quotes ($$, $tag$) and parameters ($1). The
 * tenant migration check reads the statements it yields; text inside strings
 * and comments is never mistaken for a statement, and a statement split by
 * comments is still seen.
 */

/** An identifier as a quoted identifier ("" doubled), for SQL text built from catalog names. */
export const quoteIdent = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`

export interface Token {
  kind: 'word' | 'quoted' | 'string' | 'punct' | 'other'
  /** words lower-cased (as PostgreSQL folds them), quoted identifiers decoded */
  text: string
  line: number
}

export interface Statement {
  tokens: Token[]
  /** 1-based line of the first token */
  line: number
  /** the statement's source text, comments included */
  text: string
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/

/** U&"..." identifiers: \XXXX, \+XXXXXX and \\ (the default escape character). */
const decodeUnicode = (s: string, escape: string) => {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== escape) {
      out += s[i]
      continue
    }
    if (s[i + 1] === escape) {
      out += escape
      i++
    } else if (s[i + 1] === '+') {
      out += String.fromCodePoint(Number.parseInt(s.slice(i + 2, i + 8), 16))
      i += 7
    } else {
      out += String.fromCodePoint(Number.parseInt(s.slice(i + 1, i + 5), 16))
      i += 4
    }
  }
  return out
}

/** The statements of a script, split at semicolons outside strings, identifiers and comments. */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = []
  let tokens: Token[] = []
  let start = -1
  let line = 1
  let i = 0
  const push = (token: Token, at: number) => {
    if (tokens.length === 0) start = at
    tokens.push(token)
  }
  const end = (at: number) => {
    if (tokens.length > 0) statements.push({tokens, line: tokens[0]!.line, text: sql.slice(start, at).trim()})
    tokens = []
  }
  /** the index just past a quoted run closed by `quote` (doubled to escape it; backslashes too if `backslash`) */
  const closing = (from: number, quote: string, backslash: boolean) => {
    let j = from
    for (;;) {
      if (j >= sql.length) return sql.length
      const c = sql[j]
      if (backslash && c === '\\') j += 2
      else if (c === quote && sql[j + 1] === quote) j += 2
      else if (c === quote) return j + 1
      else j++
    }
  }
  const advance = (to: number) => {
    for (let k = i; k < to && k < sql.length; k++) if (sql[k] === '\n') line++
    i = to
  }
  while (i < sql.length) {
    const c = sql[i]!
    const at = i
    const startLine = line
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i)
      advance(nl === -1 ? sql.length : nl)
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 0
      let j = i
      while (j < sql.length) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++
          j += 2
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--
          j += 2
          if (depth === 0) break
        } else j++
      }
      advance(j)
    } else if (/\s/.test(c)) {
      advance(i + 1)
    } else if (c === ';') {
      advance(i + 1)
      end(at)
    } else if (c === "'") {
      advance(closing(i + 1, "'", false))
      push({kind: 'string', text: '', line: startLine}, at)
    } else if (c === '"') {
      const close = closing(i + 1, '"', false)
      push({kind: 'quoted', text: sql.slice(i + 1, close - 1).replaceAll('""', '"'), line: startLine}, at)
      advance(close)
    } else if (c === '$') {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 200))?.[0]
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length)
        advance(close === -1 ? sql.length : close + tag.length)
        push({kind: 'string', text: '', line: startLine}, at)
      } else {
        let j = i + 1
        while (j < sql.length && /[0-9]/.test(sql[j]!)) j++
        advance(Math.max(j, i + 1))
        push({kind: 'other', text: '$', line: startLine}, at)
      }
    } else if (WORD_START.test(c)) {
      let j = i + 1
      while (j < sql.length && WORD_PART.test(sql[j]!)) j++
      const word = sql.slice(i, j)
      const lower = word.toLowerCase()
      if (sql[j] === "'" && ['e', 'b', 'x', 'n'].includes(lower)) {
        // E'...' takes backslash escapes; B'', X'' and N'' are plain strings
        advance(closing(j + 1, "'", lower === 'e'))
        push({kind: 'string', text: '', line: startLine}, at)
      } else if (lower === 'u' && sql[j] === '&' && (sql[j + 1] === "'" || sql[j + 1] === '"')) {
        const quote = sql[j + 1]!
        const close = closing(j + 2, quote, false)
        let raw = sql.slice(j + 2, close - 1).replaceAll(quote + quote, quote)
        const uescape = /^\s*uescape\s*'(.)'/i.exec(sql.slice(close))
        raw = decodeUnicode(raw, uescape?.[1] ?? '\\')
        push(quote === "'" ? {kind: 'string', text: '', line: startLine} : {kind: 'quoted', text: raw, line: startLine}, at)
        advance(uescape ? close + uescape[0].length : close)
      } else {
        push({kind: 'word', text: lower, line: startLine}, at)
        advance(j)
      }
    } else if (/[0-9]/.test(c)) {
      let j = i + 1
      while (j < sql.length && /[0-9A-Za-z_.]/.test(sql[j]!)) j++
      push({kind: 'other', text: sql.slice(i, j), line: startLine}, at)
      advance(j)
    } else {
      push({kind: c === '(' || c === ')' || c === ',' || c === '.' ? 'punct' : 'other', text: c, line: startLine}, at)
      advance(i + 1)
    }
  }
  end(sql.length)
  return statements
}
