import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureJetStream } from '../../src/transport/jetstreamSetup.js';
import { freePort } from '../../src/transport/natsServer.js';
import { commandStream, commandSubject } from '../../src/transport/subjects.js';
import { partitionOf } from '../../src/shared/partition.js';
import { eventually, tempDir } from '../helpers/nats.js';

const DEPLOY = resolve(import.meta.dirname, '../../deploy/nats/cluster');

/**
 * The deploy/ configuration is real: three nats-servers started from deploy/nats/cluster (ports and
 * store dirs rewritten for one machine) form a JetStream cluster that takes edgeplane's R3 streams,
 * and the board user of accounts.conf may publish only its own commands.
 */
describe('deploy/nats/cluster: a 3-node JetStream cluster with per-board permissions', () => {
  const dir = tempDir('ep-deploy-');
  const servers: ChildProcess[] = [];
  const clientPorts: number[] = [];
  let cp: NatsConnection;

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
    const route = (i: number) => ports[3 + i]!;
    writeFileSync(join(dir.path, 'accounts.conf'), readFileSync(join(DEPLOY, 'accounts.conf'), 'utf8'));
    for (let i = 0; i < 3; i++) {
      let conf = readFileSync(join(DEPLOY, `nats-${i + 1}.conf`), 'utf8')
        .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${ports[i]}`)
        .replace('http: 0.0.0.0:8222\n', '')
        .replace('/var/lib/nats/jetstream', join(dir.path, `js-${i + 1}`))
        .replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${route(i)}`)
        .replace('listen: 0.0.0.0:7422', `listen: 127.0.0.1:${ports[6 + i]}`);
      for (let j = 0; j < 3; j++) conf = conf.replace(`nats-route://nats-${j + 1}:6222`, `nats-route://127.0.0.1:${route(j)}`);
      const file = join(dir.path, `nats-${i + 1}.conf`);
      writeFileSync(file, conf);
      mkdirSync(join(dir.path, `js-${i + 1}`), { recursive: true });
      servers.push(spawn('nats-server', ['-c', file], { stdio: 'ignore', env: { ...process.env, CONTROL_PLANE_PASSWORD: 'cp-secret', REACTOR1_PASSWORD: 'r1-secret', SYS_PASSWORD: 'sys-secret' } }));
      clientPorts.push(ports[i]!);
    }
    cp = await eventually(() => connect({ servers: clientPorts.map((p) => `127.0.0.1:${p}`), user: 'control-plane', pass: 'cp-secret' }), { timeoutMs: 20_000, intervalMs: 250 });
    // The cluster needs a JetStream meta leader before streams can be made.
    await eventually(() => ensureJetStream(cp, { replicas: 3 }), { timeoutMs: 30_000, intervalMs: 500 });
  });
  afterAll(async () => {
    await cp?.close();
    for (const s of servers) s.kill('SIGKILL');
    dir.cleanup();
  });

  it('edgeplane streams are created with three replicas', async () => {
    const info = await (await cp.jetstreamManager()).streams.info(commandStream(0));
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas?.length).toBe(2);
  });

  it("a board may publish its own commands and not another board's", async () => {
    const board = await connect({ servers: `127.0.0.1:${clientPorts[1]}`, user: 'reactor1', pass: 'r1-secret' });
    try {
      const own = await board.jetstream().publish(commandSubject('reactor', 'reactor1'), new TextEncoder().encode('{}'));
      expect(own.stream).toBe(commandStream(partitionOf('reactor', 'reactor1')));
      await expect(board.jetstream().publish(commandSubject('reactor', 'reactor2'), new TextEncoder().encode('{}'), { timeout: 1000 })).rejects.toThrow();
      await expect(board.jetstream().publish(commandSubject('sensor', 'reactor1-tmp102'), new TextEncoder().encode('{}'))).resolves.toMatchObject({ stream: commandStream(partitionOf('sensor', 'reactor1-tmp102')) });
    } finally {
      await board.close();
    }
  });
});
