import { MqttConfigError } from './errors.js';

/**
 * Topic and subject patterns with `{name}` levels, and templates over the names they capture.
 * nats-server maps an MQTT topic `a/b/c` to the subject `a.b.c`, so both are matched as tokens.
 */
type Level = { literal: string } | { name: string };

export interface Pattern {
  source: string;
  names: ReadonlySet<string>;
  /** The NATS subject filter: names become `*`. */
  filter: string;
  /** The captured names when the subject's tokens match, else undefined. */
  match(tokens: readonly string[]): Record<string, string> | undefined;
}

const NAME = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
/** Literal levels: nothing that is a wildcard or a separator in MQTT or NATS. */
const LITERAL = /^[^\s/.*>+#{}$]+$/;

export function compilePattern(source: string, separator: '/' | '.', where: string): Pattern {
  if (typeof source !== 'string' || source.length === 0) throw new MqttConfigError(`${where}: the pattern must be a non-empty string`);
  const names = new Set<string>();
  const levels: Level[] = source.split(separator).map((part) => {
    const name = NAME.exec(part)?.[1];
    if (name !== undefined) {
      if (names.has(name)) throw new MqttConfigError(`${where}: {${name}} appears twice in ${source}`);
      names.add(name);
      return { name };
    }
    if (!LITERAL.test(part)) throw new MqttConfigError(`${where}: level ${JSON.stringify(part)} of ${source} must be a {name} or plain text (no wildcards, dots, slashes, $)`);
    return { literal: part };
  });
  const filter = levels.map((l) => ('name' in l ? '*' : l.literal)).join('.');
  return {
    source,
    names,
    filter,
    match(tokens) {
      if (tokens.length !== levels.length) return undefined;
      const vars: Record<string, string> = {};
      for (let i = 0; i < levels.length; i++) {
        const level = levels[i]!;
        const token = tokens[i]!;
        if ('name' in level) vars[level.name] = token;
        else if (level.literal !== token) return undefined;
      }
      return vars;
    },
  };
}

/** `{node}-{device}` → a function of the captured names; every name must be one the pattern captures. */
export function compileTemplate(template: string, names: ReadonlySet<string>, where: string): (vars: Readonly<Record<string, string>>) => string {
  if (typeof template !== 'string' || template.length === 0) throw new MqttConfigError(`${where}: the template must be a non-empty string`);
  const parts = template.split(/(\{[A-Za-z_][A-Za-z0-9_]*\})/).filter((p) => p.length > 0);
  const pieces = parts.map((p) => {
    const name = NAME.exec(p)?.[1];
    if (name === undefined) {
      if (/[{}]/.test(p)) throw new MqttConfigError(`${where}: ${JSON.stringify(template)} has a malformed {name}`);
      return p;
    }
    if (!names.has(name)) throw new MqttConfigError(`${where}: ${template} uses {${name}}, which the pattern does not capture`);
    return { name };
  });
  return (vars) => pieces.map((p) => (typeof p === 'string' ? p : vars[p.name]!)).join('');
}
