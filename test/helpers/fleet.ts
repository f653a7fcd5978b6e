import type { CommandBus } from '../../src/transport/commandBus.js';
import { eventually } from './nats.js';

/** API keys for UI tests: one per role (keys of 16+ characters, as `--api-keys` wants). */
export const KEYS = {
  admin: { key: 'ui-test-admin-key-000001', role: 'admin', user: 'root' },
  operator: { key: 'ui-test-operator-key-0001', role: 'operator', user: 'olga' },
  viewer: { key: 'ui-test-viewer-key-000001', role: 'viewer', user: 'vic' },
} as const;

type Answer = { ok: boolean; revision?: number; error?: { code: string; message: string } };

/**
 * A simulated board: what an edge worker would send (attachments, readings, reports, progress),
 * as commands through the command bus. A refusal fails the test at once.
 */
export function board(bus: CommandBus) {
  const split = (address: string) => [address.slice(0, address.indexOf('/')), address.slice(address.indexOf('/') + 1)] as const;
  return {
    async send(address: string, type: string, data: Record<string, unknown> = {}): Promise<Answer> {
      const [kind, id] = split(address);
      const answer = await bus.send<Answer>(kind, id, { type, data });
      if (!answer.ok) throw new Error(`${address} refused ${type}: ${answer.error?.code} ${answer.error?.message}`);
      return answer;
    },
    async batch(address: string, commands: Array<{ type: string; data: Record<string, unknown> }>): Promise<Answer[]> {
      const [kind, id] = split(address);
      const answers = await bus.sendBatch<Answer[]>(kind, id, commands);
      const bad = answers.find((a) => !a.ok);
      if (bad) throw new Error(`${address} refused a command: ${bad.error?.code} ${bad.error?.message}`);
      return answers;
    },
  };
}

/** The HTTP API with one key, as an integrator would call it. */
export function apiAs(base: string, key: string | undefined) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
  };
  return {
    call,
    async get(path: string) {
      const r = await call('GET', path);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
  };
}

/** Reactors `r1…rN`, online, with `perReactor` temperature sensors each (`<reactor>-t<n>`), each with one reading. */
export async function seedReactors(b: ReturnType<typeof board>, reactors: number, perReactor: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: reactors }, async (_, r) => {
      const reactor = `r${r + 1}`;
      await b.send(`reactor/${reactor}`, 'MarkOnline');
      await Promise.all(
        Array.from({ length: perReactor }, async (_, n) => {
          const id = `${reactor}-t${n + 1}`;
          ids.push(id);
          await b.batch(`sensor/${id}`, [
            { type: 'AttachSensor', data: { role: 'sensor', type: 'temperature', unit: '°C', parent: `reactor/${reactor}` } },
            { type: 'RecordReading', data: { value: 20 + (n % 10) / 10 } },
          ]);
        }),
      );
    }),
  );
  return ids;
}

/** Waits until the API's system view holds `count` devices. */
export async function untilDevices(api: ReturnType<typeof apiAs>, count: number, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const view = await api.get('/v1/system');
      const n = [...view.reactors, ...view.nodes, ...view.gateways].reduce((s: number, p: { devices: unknown[] }) => s + p.devices.length, view.orphans.length as number);
      if (n < count) throw new Error(`${n} of ${count} devices in the view`);
    },
    { timeoutMs, intervalMs: 200 },
  );
}
