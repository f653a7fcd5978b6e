import type { AnyDecider } from '../decider.js';
import { blockDecider } from './block.decider.js';
import { daemonDecider } from './daemon.decider.js';
import { gatewayDecider } from './gateway.decider.js';
import { interactionsDecider } from './interactions.decider.js';
import { nodeDecider } from './node.decider.js';
import { reactorDecider } from './reactor.decider.js';
import { sensorDecider } from './sensor.decider.js';

export { blockDecider, daemonDecider, gatewayDecider, interactionsDecider, nodeDecider, reactorDecider, sensorDecider };

/** The actor kinds `edgeplane start` registers by default. */
export const builtinDeciders: readonly AnyDecider[] = [nodeDecider, reactorDecider, sensorDecider, gatewayDecider, blockDecider, daemonDecider, interactionsDecider];
