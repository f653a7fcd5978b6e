import { describe, expect, it } from 'vitest';
import { compileInbound, type DeviceMessage } from './inbound.js';
import { compileRoutes, mergeRoutes } from './routeTable.js';
import { defaultRoutes, type InboundRoute } from './routes.js';

const RECEIVED = '2026-11-22T10:00:05.123Z';
const router = compileInbound(defaultRoutes.inbound);
const msg = (topic: string, payload: string | Uint8Array): DeviceMessage => ({
  subject: topic.split('/').join('.'),
  data: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload,
  receivedAt: RECEIVED,
});
const route = (topic: string, payload: string | Uint8Array) => router.route(msg(topic, payload));
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe('default inbound routes: Paddy plugs', () => {
  it('a JSON power reading with its time becomes RecordPower, with a command id named by the reading', () => {
    const c = route('daemons/plug-1/power', '{"watts": 512.3, "at": "2026-11-22T10:00:00+01:00"}');
    expect(c).toMatchObject({ kind: 'daemon', id: 'plug-1', type: 'RecordPower', data: { watts: 512.3, at: '2026-11-22T09:00:00.000Z' } });
    // A retransmission of the same reading gets the same id; another reading another one.
    expect(route('daemons/plug-1/power', '{"watts": 512.3, "at": "2026-11-22T10:00:00+01:00"}').commandId).toBe(c.commandId);
    expect(route('daemons/plug-1/power', '{"watts": 512.3, "at": "2026-11-22T10:00:10+01:00"}').commandId).not.toBe(c.commandId);
    expect(c.commandId).toMatch(/^[A-Za-z0-9_\-:@]{1,128}$/);
  });

  it('a bare number is the watts, timed when the broker received it, and names no reading', () => {
    const c = route('daemons/plug-1/power', ' 512.3 \n');
    expect(c).toMatchObject({ type: 'RecordPower', data: { watts: 512.3, at: RECEIVED } });
    expect(c.commandId).toBeUndefined();
  });

  it('takes epoch seconds and milliseconds for the time (Paddy sends Unix seconds)', () => {
    expect(route('daemons/p/power', '{"watts": 1, "at": 1763805600}').data.at).toBe('2025-11-22T10:00:00.000Z');
    expect(route('daemons/p/power', '{"watts": 1, "at": 1763805600250}').data.at).toBe('2025-11-22T10:00:00.250Z');
  });

  it.each([
    ['{"watts": "lots"}', 'ERR_MQTT_BAD_PAYLOAD'],
    ['{"power": 5}', 'ERR_MQTT_BAD_PAYLOAD'],
    ['{"watts": 5, "at": "yesterday"}', 'ERR_MQTT_BAD_PAYLOAD'],
    ['{"watts": 5', 'ERR_MQTT_BAD_PAYLOAD'],
    ['', 'ERR_MQTT_BAD_PAYLOAD'],
    ['nan', 'ERR_MQTT_BAD_PAYLOAD'],
  ])('refuses %j with %s', (payload, code) => {
    expect(codeOf(() => route('daemons/plug-1/power', payload))).toBe(code);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(codeOf(() => route('daemons/plug-1/power', new Uint8Array([0xff, 0xfe, 0x35])))).toBe('ERR_MQTT_BAD_PAYLOAD');
  });

  it.each([
    ['on', true],
    ['OFF', false],
    ['1', true],
    ['{"on": false, "at": "2026-11-22T10:00:00Z"}', false],
    ['true', true],
  ])('the plug state %j confirms power %s', (payload, on) => {
    expect(route('daemons/plug-1/state', payload)).toMatchObject({ kind: 'daemon', type: 'ConfirmPower', data: { on } });
  });

  it('status online / offline (a will) choose MarkOnline / MarkOffline at the time the broker got them', () => {
    expect(route('daemons/plug-1/status', 'online')).toMatchObject({ type: 'MarkOnline', data: { at: RECEIVED } });
    expect(route('daemons/plug-1/status', 'OFFLINE')).toMatchObject({ type: 'MarkOffline', data: { at: RECEIVED } });
    expect(route('daemons/plug-1/status', '{"status": "offline"}')).toMatchObject({ type: 'MarkOffline' });
    expect(codeOf(() => route('daemons/plug-1/status', 'sleepy'))).toBe('ERR_MQTT_BAD_PAYLOAD');
  });
});

describe('default inbound routes: ECP nodes', () => {
  it('a single-device node reports on its own sensor; a multi-device node per device', () => {
    expect(route('nodes/n1/value', '7')).toMatchObject({ kind: 'sensor', id: 'n1', type: 'RecordReading', data: { value: 7 } });
    expect(route('nodes/n1/value', '{"value": "open"}')).toMatchObject({ data: { value: 'open' } });
    expect(route('nodes/n2/light/state', '1')).toMatchObject({ kind: 'sensor', id: 'n2-light', type: 'ReportValue', data: { value: 1 } });
    expect(route('nodes/n2/status', 'offline')).toMatchObject({ kind: 'node', id: 'n2', type: 'MarkOffline' });
  });

  it('refuses a value that is not a sensor value', () => {
    expect(codeOf(() => route('nodes/n1/value', '{"value": {"a": 1}}'))).toBe('ERR_MQTT_BAD_PAYLOAD');
  });
});

describe('what the bridge drops before it is a command', () => {
  it('an unknown topic, an oversized payload, a topic level that is no actor id', () => {
    expect(codeOf(() => route('daemons/plug-1/colour', 'red'))).toBe('ERR_MQTT_UNKNOWN_TOPIC');
    expect(codeOf(() => route('daemons/plug-1/power/extra', '1'))).toBe('ERR_MQTT_UNKNOWN_TOPIC');
    expect(codeOf(() => route('daemons/plug-1/power', `{"watts": 1, "pad": "${'x'.repeat(9000)}"}`))).toBe('ERR_MQTT_PAYLOAD_TOO_LARGE');
    expect(codeOf(() => route('daemons/plug%1/power', '1'))).toBe('ERR_MQTT_BAD_TOPIC_ID');
  });
});

describe('site routes', () => {
  const site: InboundRoute = {
    topic: 'paddy/{owner}/{id}/watts',
    kind: 'daemon',
    id: '{id}',
    command: 'RecordPower',
    data: { watts: { from: '$', type: 'number' }, at: { from: '$.t', type: 'time', optional: true } },
    maxBytes: 16,
  };

  it('come before the defaults and map their own topics', () => {
    const compiled = compileRoutes(mergeRoutes({ inbound: [site] }));
    expect(compiled.inbound.route(msg('paddy/u1/p9/watts', '42'))).toMatchObject({ kind: 'daemon', id: 'p9', type: 'RecordPower', data: { watts: 42 } });
    expect(compiled.inbound.route(msg('daemons/p9/power', '1'))).toMatchObject({ type: 'RecordPower' });
    expect(codeOf(() => compiled.inbound.route(msg('paddy/u1/p9/watts', '12345678901234567')))).toBe('ERR_MQTT_PAYLOAD_TOO_LARGE');
  });

  it.each([
    [{ ...site, id: '{nobody}' }, /does not capture/],
    [{ ...site, topic: 'paddy/+/watts' }, /must be a \{name\}/],
    [{ ...site, kind: 'Daemon' }, /not an actor kind/],
    [{ ...site, command: 'Record Power' }, /command/],
    [{ ...site, data: { watts: '$watts' } }, /a source is/],
    [{ ...site, data: { watts: { from: '$', type: 'decimal' } } }, /type must be one of/],
  ] as Array<[InboundRoute, RegExp]>)('a bad route fails when the table loads (%#)', (bad, message) => {
    expect(() => compileRoutes(mergeRoutes({ inbound: [bad] }))).toThrow(message);
    expect(codeOf(() => compileRoutes(mergeRoutes({ inbound: [bad] })))).toBe('ERR_MQTT_CONFIG');
  });

  it('refuses a routes file with keys it does not know, or without the defaults when asked', () => {
    expect(() => mergeRoutes({ inbuond: [] } as never)).toThrow(/unknown key/);
    expect(mergeRoutes({ inbound: [site], defaults: false }).inbound).toEqual([site]);
  });

  it('an id too long for a readable command id is hashed, still id-shaped', () => {
    const long = compileRoutes(mergeRoutes({ inbound: [{ ...site, dedupeBy: '$' }] }));
    const c = long.inbound.route(msg(`paddy/u/${'p'.repeat(120)}/watts`, '42'));
    expect(c.commandId).toMatch(/^mqtt:h:[0-9a-f]{40}$/);
  });
});
