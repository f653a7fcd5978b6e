import { toErrorBody } from '../../shared/errors.js';
import { edgeCommand } from './command.js';

/**
 * The entry point of the bundled worker (`npm run build:edge` → dist-edge/edgeplane-edge.mjs and
 * the single executable): the same as `edgeplane edge`, without the rest of the CLI.
 */
edgeCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const body = toErrorBody(err);
    process.stderr.write(`edgeplane-edge: ${body.code}: ${body.message}\n`);
    process.exit(body.code === 'ERR_INTERNAL' ? 1 : 2);
  },
);
