import { describe, expect, it } from 'vitest';
import { compileOutbound } from './outbound.js';
import { defaultRoutes } from './routes.js';

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const codeOf = (f: () => unknown) => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe('outbound routes: actuations to device command topics', () => {
  const router = compileOutbound(defaultRoutes.outbound);
  const switchOn = { daemon: 'plug-1', requestId: 'r-1', on: true, requestedAt: '2026-11-22T10:00:00.000Z', expiresAt: '2026-11-22T10:01:00.000Z' };

  it('a plug switch goes to daemons/<id>/set with what the plug needs and its expiry', () => {
    const cmd = router.render('ep.edge.daemon.plug-1.power', encode(switchOn));
    expect(cmd.topic).toBe('daemons/plug-1/set');
    expect(cmd.subject).toBe('daemons.plug-1.set');
    expect(JSON.parse(text(cmd.payload))).toEqual({ on: true, requestId: 'r-1', expiresAt: '2026-11-22T10:01:00.000Z' });
    expect(cmd.expiresAt).toBe(Date.parse('2026-11-22T10:01:00.000Z'));
  });

  it('a node actuator value goes to nodes/<id>/set naming the sensor', () => {
    const cmd = router.render('ep.edge.node.n2.set', encode({ sensor: 'n2', requestId: 'r-2', value: 1, expiresAt: '2026-11-22T10:01:00.000Z' }));
    expect(cmd.topic).toBe('nodes/n2/set');
    expect(JSON.parse(text(cmd.payload))).toMatchObject({ sensor: 'n2', value: 1, requestId: 'r-2' });
  });

  it('a site route can send a bare, translated value', () => {
    const bare = compileOutbound([{ subject: 'ep.edge.daemon.{id}.power', topic: 'cmnd/{id}/POWER', payload: { from: '$.on', map: { true: 'ON', false: 'OFF' } } }]);
    expect(text(bare.render('ep.edge.daemon.tasmota-7.power', encode({ ...switchOn, on: false })).payload)).toBe('OFF');
    expect(bare.filters).toEqual(['ep.edge.daemon.*.power']);
  });

  it('knows its own command topics, so they are never read back as readings', () => {
    expect(router.isCommandSubject('daemons.plug-1.set')).toBe(true);
    expect(router.isCommandSubject('nodes.n2.set')).toBe(true);
    expect(router.isCommandSubject('daemons.plug-1.power')).toBe(false);
  });

  it('refuses a subject it has no route for, and a body that is not JSON', () => {
    expect(codeOf(() => router.render('ep.edge.gateway.g1.ota', encode({})))).toBe('ERR_MQTT_UNKNOWN_TOPIC');
    expect(codeOf(() => router.render('ep.edge.daemon.plug-1.power', new TextEncoder().encode('on')))).toBe('ERR_MQTT_BAD_PAYLOAD');
  });

  it('refuses a bad route when the table loads', () => {
    expect(() => compileOutbound([{ subject: 'daemons.{id}', topic: 'x/{id}', payload: '$' }])).toThrow(/ep\.edge/);
    expect(() => compileOutbound([{ subject: 'ep.edge.daemon.{id}.power', topic: 'x/{who}', payload: '$' }])).toThrow(/does not capture/);
  });
});
