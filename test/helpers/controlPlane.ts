import type { NatsConnection } from 'nats';
import type { AnyDecider } from '../../src/actors/decider.js';
import { resolveConfig, type ConfigInput } from '../../src/config.js';
import { startControlPlane, type ControlPlane } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { connectNats } from '../../src/transport/natsConnection.js';
import { createCommandBus, type CommandBus } from '../../src/transport/commandBus.js';
import { setupNats, tempDir, type TestNats } from './nats.js';

export interface TestControlPlane {
  nats: TestNats;
  dir: { path: string };
  cp: ControlPlane;
  /** A client connection and command bus, as a board or a service would have. */
  nc: NatsConnection;
  bus: CommandBus;
  cleanup(): Promise<void>;
}

/** A real nats-server, a temp data dir, the control plane in this process, and a client. */
export async function startTestControlPlane(deciders: readonly AnyDecider[], config: Omit<ConfigInput, 'dataDir' | 'natsUrl'> = {}): Promise<TestControlPlane> {
  const nats = await setupNats();
  const dir = tempDir('ep-cp-');
  const cp = await startControlPlane(resolveConfig({ httpPort: 0, ...config, dataDir: dir.path, natsUrl: nats.url }, {}), deciders, createLogger({ level: 'silent' }));
  const nc = await connectNats({ servers: nats.url, name: 'test-client' });
  const bus = createCommandBus(nc);
  return {
    nats,
    dir,
    cp,
    nc,
    bus,
    async cleanup() {
      bus.close();
      await nc.close();
      await cp.stop();
      await nats.cleanup();
      dir.cleanup();
    },
  };
}
