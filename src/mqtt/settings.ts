import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigError } from '../shared/errors.js';
import { loadMqttDevices, mqttServerConfig } from './serverConfig.js';

/** `edgeplane start --mqtt <port>` and friends, resolved. */
export interface MqttSettings {
  /** The MQTT listener's port (on the embedded nats-server; with --nats, the cluster's, for the record). */
  port: number;
  host: string;
  /** `{"devices": [{user, password, topic, commandTopic?}]}`: without it MQTT is anonymous (loopback only). */
  devicesFile?: string;
  /** A routes file (`{inbound?, outbound?, defaults?}`), tried before the default routes. */
  routesFile?: string;
}

export interface MqttInput {
  port?: number | string;
  host?: string;
  devices?: string;
  routes?: string;
}

/** Name the embedded server gives itself: MQTT needs one, and it must stay the same across restarts. */
export const EMBEDDED_SERVER_NAME = 'edgeplane-embedded';

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

/** Flags over env (EDGEPLANE_MQTT_PORT, _HOST, _DEVICES, _ROUTES); undefined when MQTT is off. */
export function resolveMqttSettings(input: MqttInput = {}, env: NodeJS.ProcessEnv = process.env): MqttSettings | undefined {
  const raw = input.port ?? (env.EDGEPLANE_MQTT_PORT || undefined);
  if (raw === undefined || raw === 'off') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`--mqtt must be a port 1–65535 (got ${JSON.stringify(raw)})`, { name: 'mqtt', value: raw });
  const devices = input.devices ?? (env.EDGEPLANE_MQTT_DEVICES || undefined);
  const routes = input.routes ?? (env.EDGEPLANE_MQTT_ROUTES || undefined);
  return {
    port,
    host: input.host ?? env.EDGEPLANE_MQTT_HOST ?? '127.0.0.1',
    ...(devices ? { devicesFile: resolve(devices) } : {}),
    ...(routes ? { routesFile: resolve(routes) } : {}),
  };
}

/**
 * The MQTT part of the embedded nats-server's config: the listener, a server name and, with a
 * devices file, one user per device plus the control plane's (NATS clients without credentials
 * are the control plane, as before: the embedded NATS port is loopback only). Anonymous MQTT is
 * refused anywhere but loopback.
 */
export function embeddedMqttConfig(s: MqttSettings, controlPlane: { natsUser?: string; natsPass?: string }): string {
  const devices = s.devicesFile ? loadMqttDevices(s.devicesFile) : [];
  if (devices.length === 0 && !isLoopback(s.host)) {
    throw new ConfigError(`refusing anonymous MQTT on ${s.host}: give --mqtt-devices <file> (per-device credentials), or listen on 127.0.0.1`);
  }
  if (devices.length === 0) return mqttServerConfig({ port: s.port, host: s.host, serverName: EMBEDDED_SERVER_NAME });
  // The control plane logs in as this user when it has credentials; a user without a password could not.
  if (controlPlane.natsUser && !controlPlane.natsPass) throw new ConfigError('with --mqtt-devices, EDGEPLANE_NATS_USER needs EDGEPLANE_NATS_PASS (or give neither)');
  return mqttServerConfig({
    port: s.port,
    host: s.host,
    serverName: EMBEDDED_SERVER_NAME,
    devices,
    controlPlane: { user: controlPlane.natsUser ?? 'edgeplane', password: controlPlane.natsPass ?? randomBytes(24).toString('hex') },
    noAuthControlPlane: true,
  });
}
