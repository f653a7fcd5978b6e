import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterDecider } from '../fixtures/counter.decider.mjs';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { eventually } from '../helpers/nats.js';

describe('the control plane rides out a nats-server crash', () => {
  let t: TestControlPlane;
  beforeAll(async () => {
    t = await startTestControlPlane([counterDecider]);
  });
  afterAll(() => t.cleanup());

  it('keeps consuming commands and relaying events after the server is killed and restarted', async () => {
    const { cp, bus, nats } = t;
    expect(await bus.send('counter', 'r1', { type: 'Increment' })).toMatchObject({ ok: true, revision: 0 });
    await cp.relay!.waitFor(1);
    await nats.stop('SIGKILL');
    await nats.restart();
    const reply = await eventually(() => bus.send<{ ok: boolean; revision: number }>('counter', 'r1', { id: 'after-restart', type: 'Increment' }, { timeoutMs: 2000 }), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect(reply).toMatchObject({ ok: true, revision: 1 });
    await cp.relay!.waitFor(2, 30_000);
    expect((await cp.store.readStream('counter-r1')).map((e) => e.metadata.commandId)).toContain('after-restart');
  });
});
