import type { AnyDecider } from '../decider.js';

/** The actor kinds `edgeplane start` registers by default. */
export const builtinDeciders: readonly AnyDecider[] = [];
