import { Type, type Static } from '@sinclair/typebox';

/**
 * hardware.json: one board's description (the ECP seed's hardware_description.json, grown to
 * every bus). Unknown fields are refused, so a typo fails at start instead of being ignored.
 * Semantic checks (driver names per bus, addresses, duplicates) are in config.ts.
 */
const Id = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_@-]+$', description: 'letters, digits, _, - and @ (no ":", which separates a device from its channel)' });
const Ms = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });

export const BOARD_KINDS = ['node', 'reactor', 'gateway', 'daemon', 'spark'] as const;
export type BoardKind = (typeof BOARD_KINDS)[number];

const Wave = Type.Union([
  Type.Number(),
  Type.Boolean(),
  Type.Object({ sine: Type.Object({ mean: Type.Number(), amplitude: Type.Number(), periodMs: Ms(1, 864_000_000) }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ square: Type.Object({ low: Type.Union([Type.Number(), Type.Boolean()]), high: Type.Union([Type.Number(), Type.Boolean()]), periodMs: Ms(1, 864_000_000) }, { additionalProperties: false }) }, { additionalProperties: false }),
]);
export type SimWave = Static<typeof Wave>;

export const DeviceSchema = Type.Object(
  {
    /** Unique on the board; the sensor actors of its channels are named after it (naming.ts). */
    id: Id,
    bus: Type.Union([Type.Literal('i2c'), Type.Literal('serial'), Type.Literal('ble')]),
    /** I2C: /dev/i2c-<busNumber>; default 1 (a Raspberry Pi's and BeagleBone's header bus). */
    busNumber: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    /** Serial: the port (/dev/ttyUSB0). */
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    /** BLE: the advertised service UUID to find the device by. */
    serviceUuid: Type.Optional(Type.String({ minLength: 4, maxLength: 40 })),
    /** I2C: 7-bit address (72 or "0x48"); Modbus: slave id; BLE: device address. */
    address: Type.Optional(Type.Union([Type.Integer(), Type.String({ minLength: 1, maxLength: 64 })])),
    driver: Type.String({ minLength: 1, maxLength: 64 }),
    /** What the device is, for the node's hardware list; its channels carry their own roles. */
    role: Type.Optional(Type.Union([Type.Literal('sensor'), Type.Literal('actuator')])),
    intervalMs: Type.Optional(Ms(20, 86_400_000)),
    /** Drive only these channels (default all the driver has). */
    channels: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 256 })),
    /** The driver's own options (Tmp102Options, ModbusDriverOptions, GattDriverOptions…). */
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Spark boards: channel → `a/b/c` path in the block's data (default the channel name). */
    fields: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ minLength: 1, maxLength: 256 }))),
    /** `--simulate` only: what the simulated chip measures, per channel (a constant, a sine or a square wave). */
    simulate: Type.Optional(Type.Object({ values: Type.Optional(Type.Record(Type.String(), Wave)) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type DeviceInput = Static<typeof DeviceSchema>;

const SimDependent = Type.Object(
  {
    address: Type.String({ minLength: 1, maxLength: 64 }),
    localName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** OtaFaults of the simulated device (dropAcks, disconnectAfterChunks…). */
    faults: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const HardwareSchema = Type.Object(
  {
    board: Type.Object(
      {
        kind: Type.Union(BOARD_KINDS.map((k) => Type.Literal(k))),
        id: Id,
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
        serial: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
        description: Type.Optional(Type.String({ maxLength: 4096 })),
        /** Daemon (smart plug) boards: the user the plug belongs to. */
        owner: Type.Optional(Id),
      },
      { additionalProperties: false },
    ),
    nats: Type.Object(
      {
        url: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]),
        user: Type.Optional(Type.String({ minLength: 1 })),
        pass: Type.Optional(Type.String()),
        token: Type.Optional(Type.String({ minLength: 1 })),
        /** A NATS .creds file (JWT and NKey seed). */
        credsFile: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    /** The control plane's partition count (a cluster-wide constant); command subjects carry the partition. */
    partitions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
    buffer: Type.Optional(
      Type.Object(
        {
          dir: Type.Optional(Type.String({ minLength: 1 })),
          maxBytes: Type.Optional(Type.Integer({ minimum: 64 * 1024 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Heartbeats to the board's actor; 0: none. */
    heartbeatMs: Type.Optional(Type.Union([Type.Literal(0), Ms(1000, 3_600_000)])),
    /** Reactors rescan their I2C buses, gateways their dependents, this often. */
    scanIntervalMs: Type.Optional(Ms(1000, 86_400_000)),
    /** Gateways: how dependent devices are found and flashed. */
    dependents: Type.Optional(
      Type.Object(
        {
          serviceUuid: Type.Optional(Type.String({ minLength: 4, maxLength: 40 })),
          scanMs: Type.Optional(Ms(100, 60_000)),
          boardType: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          /** Firmware images, `<commit>.bin`. */
          firmwareDir: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    devices: Type.Array(DeviceSchema, { maxItems: 1024 }),
    /** `--simulate` only: dependents to put in range, and the firmware they are sent. */
    simulation: Type.Optional(
      Type.Object(
        {
          dependents: Type.Optional(Type.Array(SimDependent, { maxItems: 64 })),
          firmwareBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 * 1024 * 1024 })),
          /** Radio latency of simulated BLE devices (each GATT answer). */
          latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type HardwareInput = Static<typeof HardwareSchema>;
