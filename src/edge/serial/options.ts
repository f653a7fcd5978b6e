import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SerialDriverConfigError } from './errors.js';
import type { SerialPortOptions } from './serialPort.js';

/**
 * Options of the serial drivers as a hardware description carries them. One object per device
 * holds both how to open the port (baudRate…) and what the driver needs, so unknown fields can
 * be refused as typos instead of silently ignored.
 */
const linkFields = {
  baudRate: Type.Optional(Type.Integer({ minimum: 50, maximum: 4_000_000 })),
  dataBits: Type.Optional(Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)])),
  stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(1.5), Type.Literal(2)])),
  parity: Type.Optional(Type.Union(['none', 'even', 'odd', 'mark', 'space'].map((p) => Type.Literal(p)))),
  rtscts: Type.Optional(Type.Boolean()),
};

const timeoutMs = Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 }));

export const ChannelInfoSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    role: Type.Union([Type.Literal('sensor'), Type.Literal('actuator')]),
    type: Type.String({ minLength: 1, maxLength: 64 }),
    unit: Type.String({ maxLength: 32 }),
  },
  { additionalProperties: false },
);

export const JsonLinesOptionsSchema = Type.Object(
  {
    ...linkFields,
    timeoutMs,
    /** Fixed channels; without them the driver asks the device (`hello`) when it opens. */
    channels: Type.Optional(Type.Array(ChannelInfoSchema, { minItems: 1, maxItems: 256 })),
  },
  { additionalProperties: false },
);
export type JsonLinesDriverOptions = Static<typeof JsonLinesOptionsSchema>;

export const RegisterFormats = ['uint16', 'int16', 'uint32', 'int32', 'bool'] as const;
export type RegisterFormat = (typeof RegisterFormats)[number];

export const RegisterSpecSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    /** Holding register address as sent on the wire (0-based: register 40001 is address 0). */
    address: Type.Integer({ minimum: 0, maximum: 65535 }),
    role: Type.Union([Type.Literal('sensor'), Type.Literal('actuator')]),
    type: Type.String({ minLength: 1, maxLength: 64 }),
    unit: Type.String({ maxLength: 32 }),
    /** How the raw register(s) read: 32-bit formats span address and address+1, high word first. Default uint16. */
    format: Type.Optional(Type.Union(RegisterFormats.map((f) => Type.Literal(f)))),
    /** Engineering value = raw × scale (power in W×10 → 0.1). Default 1. */
    scale: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);
export type RegisterSpec = Static<typeof RegisterSpecSchema>;

export const ModbusOptionsSchema = Type.Object(
  {
    ...linkFields,
    slaveId: Type.Integer({ minimum: 1, maximum: 247 }),
    registers: Type.Array(RegisterSpecSchema, { minItems: 1, maxItems: 256 }),
    timeoutMs,
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    /** Inter-frame silence override; default 3.5 characters at the baud rate, at least 2 ms. */
    silenceMs: Type.Optional(Type.Number({ minimum: 0.5, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type ModbusDriverOptions = Static<typeof ModbusOptionsSchema>;

/** Checks untrusted options against a schema; the first problem becomes a typed error. */
export function parseOptions<S extends TObject>(driver: string, schema: S, raw: unknown): Static<S> {
  if (Value.Check(schema, raw)) return raw;
  const first = Value.Errors(schema, raw).First();
  throw new SerialDriverConfigError(driver, first ? `${first.path || '/'} ${first.message}` : 'invalid');
}

/** The port settings within a device's options (baudRate defaults to 9600). */
export function linkOptionsOf(options: { baudRate?: number; dataBits?: 5 | 6 | 7 | 8; stopBits?: 1 | 1.5 | 2; parity?: string; rtscts?: boolean }): SerialPortOptions {
  const { baudRate = 9600, dataBits, stopBits, parity, rtscts } = options;
  return {
    baudRate,
    ...(dataBits !== undefined ? { dataBits } : {}),
    ...(stopBits !== undefined ? { stopBits } : {}),
    ...(parity !== undefined ? { parity: parity as SerialPortOptions['parity'] } : {}),
    ...(rtscts !== undefined ? { rtscts } : {}),
  };
}
