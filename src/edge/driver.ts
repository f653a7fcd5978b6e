/**
 * What every edge driver is, whatever its bus. A device in a board's hardware description is
 * opened by its driver into one `DeviceDriver`; the worker samples `read()` every `intervalMs`
 * and turns each reading into a `RecordReading` command for the sensor actor of that channel,
 * and applies actuations with `write()`, confirming with the value the hardware reads back.
 *
 * Drivers talk to a bus port (I2C, serial, BLE), never to a module directly: the real port wraps
 * `i2c-bus` / `serialport` / `@abandonware/noble`, the simulated one a register- or protocol-level
 * simulated chip, so the same driver code runs on a board and in tests.
 */
export type ChannelValue = number | boolean | string;

export interface ChannelInfo {
  /** Short name, unique within the device: `temperature`, `ch0`, `gpa3`… */
  name: string;
  role: 'sensor' | 'actuator';
  /** What it measures or drives: `temperature`, `humidity`, `pressure`, `voltage`, `pwm`, `gpio`, `power`… */
  type: string;
  unit: string;
}

export interface Reading {
  channel: string;
  value: ChannelValue;
}

export interface DeviceDriver {
  readonly driver: string;
  readonly channels: readonly ChannelInfo[];
  /** One sample of every readable channel (actuators report their current output too). */
  read(): Promise<Reading[]>;
  /** Applies a value to an actuator channel and returns the value read back from the hardware. */
  write?(channel: string, value: ChannelValue): Promise<ChannelValue>;
  close(): Promise<void>;
}
