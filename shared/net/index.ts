/** The line simulator: see `./line` for the rules. */
export * from './line';
