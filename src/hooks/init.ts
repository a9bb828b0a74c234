import type {Hook} from '@oclif/core'

/** Start-up, before any command, help or not-found hook renders anything: the colour level from the environment. */
const hook: Hook.Init = async function () {
  const {configureColour} = await import('../ui/format.js')
  configureColour(process.env)
}

export default hook
