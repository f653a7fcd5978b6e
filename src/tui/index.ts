/** `edgeplane top`: the terminal UI, a client of the public HTTP API only. */
export { runTop, type TopOptions } from './top.js';
