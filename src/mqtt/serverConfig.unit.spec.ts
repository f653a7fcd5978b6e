import { describe, expect, it } from 'vitest';
import { mqttServerConfig, validateDevices, type MqttDevice } from './serverConfig.js';
import { embeddedMqttConfig, resolveMqttSettings } from './settings.js';

const plug1: MqttDevice = { user: 'plug-1', password: 'pw-1', topic: 'daemons/plug-1' };
const node3: MqttDevice = { user: 'ecp-3', password: '$2a$11$abcdefghijklmnopqrstuuJ9Zk3H3WQn1oZ9bH6yQbYr1yG4n1e8u', topic: 'nodes/n3', commandTopic: 'nodes/n3/set' };
const cp = { user: 'edgeplane', password: 'cp-secret' };

describe('mqttServerConfig', () => {
  it('without devices: the listener only (and a server name when asked)', () => {
    const text = mqttServerConfig({ port: 1883, host: '127.0.0.1', serverName: 'edgeplane-embedded' });
    expect(text).toContain('server_name: "edgeplane-embedded"');
    expect(text).toMatch(/mqtt \{\s+host: "127\.0\.0\.1"\s+port: 1883\s+\}/);
    expect(text).not.toContain('authorization');
  });

  it('with devices: each may publish under its own topic and subscribe to its command topic, over MQTT only', () => {
    const text = mqttServerConfig({ port: 1883, devices: [plug1, node3], controlPlane: cp, streamReplicas: 3 });
    expect(text).toContain('stream_replicas: 3');
    expect(text).toContain('{ user: "edgeplane", password: "cp-secret", allowed_connection_types: ["STANDARD", "WEBSOCKET"] }');
    expect(text).toContain(
      '{ user: "plug-1", password: "pw-1", allowed_connection_types: ["MQTT"], permissions: { publish: { allow: ["daemons.plug-1.>"] }, subscribe: { allow: ["daemons.plug-1.set", "$MQTT.sub.>"] } } }',
    );
    expect(text).toContain('publish: { allow: ["nodes.n3.>"] }, subscribe: { allow: ["nodes.n3.set", "$MQTT.sub.>"] }');
    expect(text).not.toContain('no_auth_user');
    expect(mqttServerConfig({ port: 1883, devices: [plug1], controlPlane: cp, noAuthControlPlane: true })).toContain('no_auth_user: "edgeplane"');
  });

  it('refuses devices that could act as each other, and passwords it cannot quote', () => {
    expect(() => validateDevices([plug1, { ...plug1, user: 'plug-1b' }])).toThrow(/overlaps/);
    expect(() => validateDevices([{ ...plug1, topic: 'daemons' }, { ...plug1, user: 'x' }])).toThrow(/overlaps/);
    expect(() => validateDevices([plug1, { ...node3, user: 'plug-1' }])).toThrow(/twice/);
    expect(() => validateDevices([{ ...plug1, topic: 'daemons/+' }])).toThrow(/no wildcards/);
    expect(() => validateDevices([{ ...plug1, password: 'a"b' }])).toThrow(/password/);
    expect(() => mqttServerConfig({ port: 1883, devices: [plug1] })).toThrow(/control plane needs its own user/);
    expect(() => mqttServerConfig({ port: 1883, devices: [{ ...plug1, user: 'edgeplane' }], controlPlane: cp })).toThrow(/control plane's/);
  });
});

describe('MQTT settings', () => {
  it('flags over env; off when no port', () => {
    expect(resolveMqttSettings({}, {})).toBeUndefined();
    expect(resolveMqttSettings({}, { EDGEPLANE_MQTT_PORT: '1883', EDGEPLANE_MQTT_HOST: '0.0.0.0' })).toEqual({ port: 1883, host: '0.0.0.0' });
    expect(resolveMqttSettings({ port: '1884' }, { EDGEPLANE_MQTT_PORT: '1883' })).toMatchObject({ port: 1884, host: '127.0.0.1' });
    expect(() => resolveMqttSettings({ port: 'x' }, {})).toThrow(/--mqtt must be a port/);
  });

  it('refuses anonymous MQTT off loopback', () => {
    expect(() => embeddedMqttConfig({ port: 1883, host: '0.0.0.0' }, {})).toThrow(/refusing anonymous MQTT/);
    expect(embeddedMqttConfig({ port: 1883, host: '127.0.0.1' }, {})).not.toContain('authorization');
  });
});
