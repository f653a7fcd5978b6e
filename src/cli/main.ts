import { toErrorBody } from '../shared/errors.js';
import { demo, demoUsage } from '../demo/demo.js';
import { edge, edgeUsage } from './edge.js';
import { projections, projectionsUsage } from './projections.js';
import { replay, replayUsage } from './replay.js';
import { send, sendUsage } from './send.js';
import { start, startUsage } from './start.js';
import { top, topUsage } from './top.js';

const usage = `edgeplane — event-sourced control plane for edge hardware

${startUsage}

${sendUsage}

${replayUsage}

${projectionsUsage}

${topUsage}

${edgeUsage}

${demoUsage}`;

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      await start(rest);
      return undefined; // keeps running until a signal
    case 'send':
      return send(rest);
    case 'replay':
      return replay(rest);
    case 'projections':
      return projections(rest);
    case 'top':
      return top(rest);
    case 'edge':
      return edge(rest);
    case 'demo':
      await demo(rest);
      return undefined; // keeps running until a signal
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${usage}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${usage}\n`);
      return 64;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    const body = toErrorBody(err);
    process.stderr.write(`edgeplane: ${body.code}: ${body.message}\n`);
    process.exit(body.code === 'ERR_INTERNAL' ? 1 : 2);
  },
);
