import { connect } from 'nats';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePort, startNatsServer } from '../../src/transport/natsServer.js';
import { tempDir } from '../helpers/nats.js';

describe('startNatsServer: a picked port taken before the server binds it', () => {
  let squatter: Server;
  let taken: number;
  beforeAll(async () => {
    squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    taken = (squatter.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => squatter.close(() => r())));

  it('picks another port and starts there; a restart keeps that port', async () => {
    const dir = tempDir('ep-natsport-');
    onTestFinished(dir.cleanup);
    const picks: number[] = [];
    const server = await startNatsServer({ dataDir: dir.path }, async (host) => {
      const port = picks.length === 0 ? taken : await freePort(host);
      picks.push(port);
      return port;
    });
    onTestFinished(() => server.stop());
    expect(picks).toHaveLength(2);
    expect(server.port).toBe(picks[1]);
    expect(server.port).not.toBe(taken);
    await server.stop();
    await server.restart();
    expect(server.url).toBe(`nats://127.0.0.1:${picks[1]}`);
    const nc = await connect({ servers: server.url });
    expect((await nc.jetstreamManager().then((m) => m.getAccountInfo())).limits).toBeDefined();
    await nc.close();
  });

  it('gives up after three taken ports with the server’s own message', async () => {
    const dir = tempDir('ep-natsport-');
    onTestFinished(dir.cleanup);
    let picks = 0;
    await expect(startNatsServer({ dataDir: dir.path }, async () => (picks++, taken))).rejects.toThrow(/address already in use/);
    expect(picks).toBe(3);
  });
});
