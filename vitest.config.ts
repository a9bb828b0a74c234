import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // files and the tests in each run in random order (vitest prints the seed; --sequence.seed=N repeats an order)
    sequence: {shuffle: true},
  },
})
