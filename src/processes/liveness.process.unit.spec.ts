import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CommandRequest, CommandResult } from '../actors/commandEnvelope.js';
import type { RecordedEvent } from '../eventstore/eventStore.js';
import { createLogger } from '../shared/logger.js';
import { livenessProcess } from './liveness.process.js';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const TIMEOUT = 60_000;
const SWEEP = 1_000;

describe('liveness process: gateways and their dependent devices', () => {
  let clock: number;
  let sent: string[];
  let position: number;
  let pm: ReturnType<typeof livenessProcess>;

  const event = (stream: string, type: string, msAfterT0: number, data: Record<string, unknown> = {}): RecordedEvent => {
    position += 1;
    return { id: `e${position}`, type, data: { ...data, at: new Date(T0 + msAfterT0).toISOString() }, metadata: {}, stream, revision: position, position };
  };
  /** Lets the sweep run at `ms` after T0 and returns what it sent. */
  const sweepAt = async (ms: number): Promise<string[]> => {
    clock = T0 + ms;
    sent = [];
    await vi.advanceTimersByTimeAsync(SWEEP);
    return sent;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    clock = T0;
    sent = [];
    position = 0;
    const sender = {
      send: (kind: string, id: string, command: CommandRequest): Promise<CommandResult> => {
        sent.push(`${kind}/${id} ${command.type} ${JSON.stringify(command.data ?? {})}`);
        return Promise.resolve({ ok: true, commandId: command.id ?? '', revision: 0, position: 0, events: [] });
      },
    };
    pm = livenessProcess({ sender, logger: createLogger({ level: 'silent' }), timeoutMs: TIMEOUT, sweepMs: SWEEP, now: () => clock });
    pm.start!();
  });
  afterEach(() => {
    pm.stop!();
    vi.useRealTimers();
  });

  it('a gateway restating its devices unchanged (GatewaySeen) keeps the devices it listed online alive', async () => {
    pm.observe!(event('gateway-gw1', 'GatewayWentOnline', 0, { restarted: true }));
    pm.observe!(event('gateway-gw1', 'DeviceDetected', 0, { localId: 'mcu-1', boardType: 'nrf52' }));
    for (let t = 30_000; t <= 180_000; t += 30_000) {
      pm.observe!(event('gateway-gw1', 'GatewaySeen', t));
      expect(await sweepAt(t + 500)).toEqual([]);
    }
    // The gateway falls silent: it goes offline, and so does its device (which was last listed at 180 s).
    expect(await sweepAt(180_000 + TIMEOUT + 500)).toEqual([
      expect.stringMatching(/^gateway\/gw1 MarkOffline /),
      'gateway/gw1 ReportDeviceStatus {"localId":"mcu-1","online":false}',
    ]);
  });

  it("a gateway's own heartbeat keeps the gateway alive, not a device it has stopped listing", async () => {
    pm.observe!(event('gateway-gw2', 'GatewayWentOnline', 0, { restarted: true }));
    pm.observe!(event('gateway-gw2', 'DeviceDetected', 0, { localId: 'mcu-2', boardType: 'nrf52' }));
    for (let t = 20_000; t <= 40_000; t += 20_000) {
      pm.observe!(event('gateway-gw2', 'GatewayHeartbeatReceived', t));
      expect(await sweepAt(t + 500)).toEqual([]);
    }
    pm.observe!(event('gateway-gw2', 'GatewayHeartbeatReceived', 50_000));
    expect(await sweepAt(TIMEOUT + 1_000)).toEqual(['gateway/gw2 ReportDeviceStatus {"localId":"mcu-2","online":false}']);
    // Once offline it is no longer watched: the next sweeps send nothing more.
    pm.observe!(event('gateway-gw2', 'DependentDeviceStatusChanged', TIMEOUT + 1_000, { localId: 'mcu-2', online: false }));
    pm.observe!(event('gateway-gw2', 'GatewayHeartbeatReceived', 90_000));
    expect(await sweepAt(100_000)).toEqual([]);
  });

  it('an unchanged restatement does not bring back a device the gateway had already been told is offline', async () => {
    pm.observe!(event('gateway-gw3', 'GatewayWentOnline', 0, { restarted: true }));
    pm.observe!(event('gateway-gw3', 'DeviceDetected', 0, { localId: 'mcu-3', boardType: 'nrf52' }));
    pm.observe!(event('gateway-gw3', 'DependentDeviceStatusChanged', 10_000, { localId: 'mcu-3', online: false }));
    pm.observe!(event('gateway-gw3', 'GatewaySeen', 50_000));
    expect(await sweepAt(TIMEOUT + 20_000)).toEqual([]);
  });
});
