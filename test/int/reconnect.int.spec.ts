import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { startControlPlane, type ControlPlane } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { connectNats } from '../../src/transport/natsConnection.js';
import { createCommandBus, type CommandBus } from '../../src/transport/commandBus.js';
import { counterDecider } from '../fixtures/counter.decider.mjs';
import { eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';
import type { NatsConnection } from 'nats';

describe('the control plane rides out a nats-server crash', () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  let cp: ControlPlane;
  let nc: NatsConnection;
  let bus: CommandBus;

  beforeAll(async () => {
    nats = await setupNats();
    dir = tempDir('ep-reconnect-');
    cp = await startControlPlane(resolveConfig({ dataDir: dir.path, natsUrl: nats.url }, {}), [counterDecider], createLogger({ level: 'silent' }));
    nc = await connectNats({ servers: nats.url, name: 'reconnect-test' });
    bus = createCommandBus(nc);
  });
  afterAll(async () => {
    bus.close();
    await nc.close();
    await cp.stop();
    await nats.cleanup();
    dir.cleanup();
  });

  it('keeps consuming commands and relaying events after the server is killed and restarted', async () => {
    expect(await bus.send('counter', 'r1', { type: 'Increment' })).toMatchObject({ ok: true, revision: 0 });
    await cp.relay.waitFor(1);
    await nats.stop('SIGKILL');
    await nats.restart();
    const reply = await eventually(() => bus.send<{ ok: boolean; revision: number }>('counter', 'r1', { id: 'after-restart', type: 'Increment' }, { timeoutMs: 2000 }), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect(reply).toMatchObject({ ok: true, revision: 1 });
    await cp.relay.waitFor(2, 30_000);
    expect((await cp.store.readStream('counter-r1')).map((e) => e.metadata.commandId)).toContain('after-restart');
  });
});
