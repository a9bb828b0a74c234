/**
 * chalk with the colour level of the process: chalk follows FORCE_COLOR and the terminal
 * by itself; NO_COLOR (https://no-color.org) is ours to honour. Set when this module is
 * first loaded, before any colour is used, since every module that colours imports chalk
 * from here; a command that colours nothing (`--version`) loads no chalk.
 */
import chalk from 'chalk'

if (process.env.NO_COLOR) chalk.level = 0

export default chalk
