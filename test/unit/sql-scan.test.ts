import {describe, expect, it} from 'vitest'

import {splitStatements} from '../../src/lib/db/sql-scan.js'

const words = (sql: string) => splitStatements(sql).map((s) => s.tokens.filter((t) => t.kind === 'word' || t.kind === 'quoted').map((t) => t.text).join(' '))

describe('the SQL lexer behind the tenant migration check', () => {
  it('splits at semicolons outside strings, identifiers, comments and dollar quotes', () => {
    expect(words(`select 'a;b'; select "x;y"; select $$;$$; select $t$ $$; $t$; -- ; x\nselect /* ; /* ; */ ; */ 1`)).toEqual(['select', 'select x;y', 'select', 'select', 'select'])
  })

  it('reads E strings with backslash escapes, and plain strings without', () => {
    expect(words(`select E'\\'; commit; \\''; select 'C:\\'; commit`)).toEqual(['select', 'select', 'commit'])
  })

  it('decodes U& identifiers, with UESCAPE too', () => {
    expect(words(`select U&"\\0073et_config"(1); select U&"!0073et_config" uescape '!' (1)`)).toEqual(['select set_config', 'select set_config'])
  })

  it('tells parameters and identifiers with $ from dollar quotes', () => {
    expect(words('select $1, a$b$ from t; commit')).toEqual(['select a$b$ from t', 'commit'])
  })

  it('numbers each statement with the line it starts on', () => {
    expect(splitStatements("-- one\nselect 1;\n\n/* two\n*/ commit;\nselect 'a\nb'; reset role").map((s) => s.line)).toEqual([2, 5, 6, 7])
  })
})
