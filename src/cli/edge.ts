/** `edgeplane edge`: the board-side worker lives in src/edge/worker; this is its place in the CLI. */
export { edgeCommand as edge, edgeUsage } from '../edge/worker/command.js';
