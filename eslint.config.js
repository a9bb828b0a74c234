import tseslint from 'typescript-eslint'

/** What only the CLI layer (src/commands, src/ui, src/prompts, the bases) may use: src/lib serves an HTTP API and queue workers too. */
const TERMINAL_LIBRARIES = ['@oclif/*', 'chalk', 'listr2', '@inquirer/*', 'cli-table3']
const TERMINAL_STREAMS = ['stdout', 'stdin', 'stderr']
const CLI_LAYER = ['**/ui/*', '**/prompts/*', '**/commands/*', '**/base.js', '**/bulk-command.js', '**/list-command.js', '**/status-command.js', '**/flags.js']

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/']},
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', ignoreRestSiblings: true}],
    },
  },
  {
    files: ['src/lib/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          {group: TERMINAL_LIBRARIES, message: 'src/lib speaks to no terminal: render in src/ui, ask in src/prompts, report progress through a callback.'},
          {group: CLI_LAYER, message: 'src/lib does not import the CLI layer.'},
          {group: ['**/server/*', 'fastify', '@fastify/*', 'fastify-*'], message: 'src/lib does not import the HTTP layer (src/server): a route calls the library, never the other way.'},
        ],
      }],
      'no-restricted-properties': ['error', ...TERMINAL_STREAMS.map((property) => ({
        object: 'process',
        property,
        message: 'src/lib reads and writes the streams its caller gives it, never the terminal.',
      }))],
      // (a destructured `const {stdout} = process` is a restricted property too)
      'no-restricted-syntax': ['error', {
        selector: "ImportExpression[source.value=/^(@oclif\\/|@inquirer\\/|chalk$|listr2$|cli-table3$)/]",
        message: 'src/lib speaks to no terminal: render in src/ui, ask in src/prompts, report progress through a callback.',
      }],
    },
  },
  {
    files: ['src/server/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          {group: [...TERMINAL_LIBRARIES, ...CLI_LAYER], message: 'src/server is a front end of src/lib beside the CLI: it imports the library, not the terminal or the CLI layer.'},
        ],
      }],
    },
  },
)
