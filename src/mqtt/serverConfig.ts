import { readFileSync } from 'node:fs';
import { MqttConfigError } from './errors.js';

/**
 * One MQTT device's credentials: it may publish under `topic/#` (its readings, its will, its
 * confirmations) and subscribe to `commandTopic` only. Passwords may be bcrypt hashes (`$2a$…`,
 * from `nats server passwd`) so the file holds no secret.
 */
export interface MqttDevice {
  user: string;
  password: string;
  /** Its own root, e.g. `daemons/plug-1`. */
  topic: string;
  /** Default `<topic>/set`. */
  commandTopic?: string;
}

export interface MqttServerConfigOptions {
  port: number;
  /** Default 0.0.0.0 (devices are on the network); the NATS port keeps its own host. */
  host?: string;
  /** MQTT needs one; leave it out when the rest of the config sets it. */
  serverName?: string;
  /** Without devices no authorization is rendered: MQTT (and NATS) are open, for loopback only. */
  devices?: readonly MqttDevice[];
  /** The control plane's own user (all subjects, never over MQTT); required with devices. */
  controlPlane?: { user: string; password: string };
  /**
   * NATS clients that give no credentials are the control plane: for the embedded server on
   * loopback, so `edgeplane send` and the CLI keep working. MQTT clients are never let in this
   * way (the control plane's user is refused over MQTT).
   */
  noAuthControlPlane?: boolean;
  /** Replicas of the `$MQTT_*` streams (3 on a cluster). */
  streamReplicas?: number;
}

const USER = /^[A-Za-z0-9_\-:@.]{1,128}$/;
const LEVEL = /^[A-Za-z0-9_\-:@]+$/;
/** Rendered inside double quotes: nothing that needs escaping. */
const PASSWORD = /^[^"\\\s]{1,256}$/;

function topicSubject(topic: string, what: string): string {
  const levels = typeof topic === 'string' ? topic.split('/') : [];
  if (levels.length === 0 || !levels.every((l) => LEVEL.test(l))) {
    throw new MqttConfigError(`${what} ${JSON.stringify(topic)} must be plain levels (letters, digits, _ - : @) separated by /, no wildcards`);
  }
  return levels.join('.');
}

/** Checks a devices list: users and roots unique, no root inside another (that would be impersonation). */
export function validateDevices(devices: unknown): MqttDevice[] {
  if (!Array.isArray(devices)) throw new MqttConfigError('devices must be a list of {user, password, topic, commandTopic?}');
  const users = new Set<string>();
  const roots: string[] = [];
  return devices.map((d: Partial<MqttDevice>, i) => {
    const where = `device ${i} (${String(d?.user)})`;
    if (typeof d !== 'object' || d === null) throw new MqttConfigError(`${where}: must be an object`);
    if (typeof d.user !== 'string' || !USER.test(d.user)) throw new MqttConfigError(`${where}: user must be letters, digits and _ - : @ . (at most 128)`);
    if (users.has(d.user)) throw new MqttConfigError(`${where}: user ${d.user} is listed twice`);
    users.add(d.user);
    if (typeof d.password !== 'string' || !PASSWORD.test(d.password)) throw new MqttConfigError(`${where}: password must be 1–256 characters without quotes, backslashes or spaces`);
    const root = topicSubject(d.topic as string, `${where}: topic`);
    const clash = roots.find((r) => r === root || r.startsWith(`${root}.`) || root.startsWith(`${r}.`));
    if (clash !== undefined) throw new MqttConfigError(`${where}: topic ${d.topic} overlaps another device's ${clash.replaceAll('.', '/')}`);
    roots.push(root);
    const commandTopic = d.commandTopic ?? `${d.topic}/set`;
    topicSubject(commandTopic, `${where}: commandTopic`);
    return { user: d.user, password: d.password, topic: d.topic as string, commandTopic };
  });
}

/** Reads `{"devices": [...]}` (JSON). */
export function loadMqttDevices(file: string): MqttDevice[] {
  let parsed: { devices?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { devices?: unknown };
  } catch (e) {
    throw new MqttConfigError(`cannot read the MQTT devices file ${file}: ${(e as Error).message}`, { file }, e);
  }
  return validateDevices(parsed?.devices);
}

const q = (s: string) => JSON.stringify(s);

function deviceUser(d: MqttDevice, indent: string): string {
  const publish = `${topicSubject(d.topic, 'topic')}.>`;
  const command = topicSubject(d.commandTopic ?? `${d.topic}/set`, 'commandTopic');
  // A QoS 1 subscription is delivered through the server's `$MQTT.sub.<nuid>` subject, which the
  // device's own user must be allowed to subscribe to (nats-server 2.9). MQTT-only, so no NATS
  // client can use these credentials to read other devices' deliveries there.
  return (
    `${indent}{ user: ${q(d.user)}, password: ${q(d.password)}, allowed_connection_types: ["MQTT"], ` +
    `permissions: { publish: { allow: [${q(publish)}] }, subscribe: { allow: [${q(command)}, "$MQTT.sub.>"] } } }`
  );
}

/**
 * The devices' user entries alone, one per line, for a `users: [...]` list inside an account
 * (a cluster with accounts, deploy/nats/): they must be in the control plane's account.
 */
export function mqttDeviceUsers(devices: readonly MqttDevice[], indent = '      '): string {
  return `${validateDevices(devices)
    .map((d) => deviceUser(d, indent))
    .join('\n')}\n`;
}

/**
 * The nats-server config text for the MQTT listener and, with devices, the users: the control
 * plane (everything, never over MQTT) and one user per device. Appended to a server's config
 * (the embedded one's `extraConfig`, or a cluster member's file: see deploy/nats/).
 */
export function mqttServerConfig(opts: MqttServerConfigOptions): string {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new MqttConfigError(`mqtt port must be 0–65535 (got ${opts.port})`);
  const lines: string[] = [];
  if (opts.serverName) lines.push(`server_name: ${q(opts.serverName)}`);
  const replicas = opts.streamReplicas ? `\n  stream_replicas: ${opts.streamReplicas}` : '';
  lines.push(`mqtt {\n  host: ${q(opts.host ?? '0.0.0.0')}\n  port: ${opts.port}${replicas}\n}`);
  const devices = opts.devices === undefined ? [] : validateDevices(opts.devices);
  if (devices.length === 0 && !opts.controlPlane) return `${lines.join('\n')}\n`;
  const cp = opts.controlPlane;
  if (!cp || !USER.test(cp.user) || !PASSWORD.test(cp.password)) throw new MqttConfigError('with MQTT devices the control plane needs its own user and password (no quotes, backslashes or spaces)');
  if (devices.some((d) => d.user === cp.user)) throw new MqttConfigError(`device user ${cp.user} is the control plane's`);
  if (opts.noAuthControlPlane) lines.push(`no_auth_user: ${q(cp.user)}`);
  const users = [`    { user: ${q(cp.user)}, password: ${q(cp.password)}, allowed_connection_types: ["STANDARD", "WEBSOCKET"] }`, ...devices.map((d) => deviceUser(d, '    '))];
  lines.push(`authorization {\n  users: [\n${users.join('\n')}\n  ]\n}`);
  return `${lines.join('\n')}\n`;
}
