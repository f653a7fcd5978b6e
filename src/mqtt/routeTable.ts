import { readFileSync } from 'node:fs';
import { MqttConfigError } from './errors.js';
import { compileInbound, type InboundRouter } from './inbound.js';
import { compileOutbound, type OutboundRouter } from './outbound.js';
import { defaultRoutes, type InboundRoute, type OutboundRoute, type RouteTable } from './routes.js';

/** A routes file: the site's routes, tried before the defaults (which `"defaults": false` leaves out). */
export interface RoutesFile {
  inbound?: InboundRoute[];
  outbound?: OutboundRoute[];
  defaults?: boolean;
}

export interface CompiledRoutes {
  table: RouteTable;
  inbound: InboundRouter;
  outbound: OutboundRouter;
}

/** The site's routes first (the first match wins), then the defaults. */
export function mergeRoutes(site: RoutesFile = {}): RouteTable {
  if (typeof site !== 'object' || site === null || Array.isArray(site)) throw new MqttConfigError('a routes file is an object {inbound?, outbound?, defaults?}');
  for (const key of Object.keys(site)) {
    if (!['inbound', 'outbound', 'defaults'].includes(key)) throw new MqttConfigError(`unknown key ${JSON.stringify(key)} in the routes (expected inbound, outbound, defaults)`);
  }
  for (const key of ['inbound', 'outbound'] as const) {
    if (site[key] !== undefined && !Array.isArray(site[key])) throw new MqttConfigError(`routes ${key} must be a list`);
  }
  const withDefaults = site.defaults !== false;
  return {
    inbound: [...(site.inbound ?? []), ...(withDefaults ? defaultRoutes.inbound : [])],
    outbound: [...(site.outbound ?? []), ...(withDefaults ? defaultRoutes.outbound : [])],
  };
}

/** Validates and compiles a table: a bad route fails here, at start, naming itself. */
export function compileRoutes(table: RouteTable): CompiledRoutes {
  return { table, inbound: compileInbound(table.inbound), outbound: compileOutbound(table.outbound) };
}

/** Reads a routes file (JSON) and merges it with the defaults; without a file, the defaults. */
export function loadRoutes(file?: string): RouteTable {
  if (!file) return mergeRoutes();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MqttConfigError(`cannot read the MQTT routes file ${file}: ${(e as Error).message}`, { file }, e);
  }
  return mergeRoutes(parsed as RoutesFile);
}
