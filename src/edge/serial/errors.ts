import { EdgeplaneError } from '../../shared/errors.js';

/**
 * Failures of serial links, the JSON-lines protocol and Modbus RTU, one class each with a
 * stable code. Vendor errors (serialport's) are kept as `cause`.
 */

/** The `serialport` module (native) could not be loaded on this machine. */
export class SerialUnavailableError extends EdgeplaneError {
  constructor(cause: unknown) {
    super('ERR_SERIAL_UNAVAILABLE', `the serialport module is not available: ${messageOf(cause)}`, {}, cause);
  }
}

export class SerialOpenError extends EdgeplaneError {
  constructor(readonly path: string, cause: unknown) {
    super('ERR_SERIAL_OPEN', `cannot open serial port ${path}: ${messageOf(cause)}`, { path }, cause);
  }
}

/** Written to, or waited on, after the link closed. */
export class SerialClosedError extends EdgeplaneError {
  constructor(readonly link: string) {
    super('ERR_SERIAL_CLOSED', `serial link ${link} is closed`, { link });
  }
}

export class SerialWriteError extends EdgeplaneError {
  constructor(readonly link: string, cause: unknown) {
    super('ERR_SERIAL_WRITE', `write to serial link ${link} failed: ${messageOf(cause)}`, { link }, cause);
  }
}

/** A driver's options are wrong: reported when the driver is made, never at the first read. */
export class SerialDriverConfigError extends EdgeplaneError {
  constructor(readonly driver: string, reason: string) {
    super('ERR_SERIAL_DRIVER_CONFIG', `${driver} driver options: ${reason}`, { driver, reason });
  }
}

export class UnknownSerialDriverError extends EdgeplaneError {
  constructor(readonly driver: string, known: readonly string[]) {
    super('ERR_UNKNOWN_SERIAL_DRIVER', `unknown serial driver ${JSON.stringify(driver)} (known: ${known.join(', ')})`, { driver, known });
  }
}

export { ChannelNotWritableError, UnknownChannelError } from '../driverErrors.js';


export class JsonLinesTimeoutError extends EdgeplaneError {
  constructor(readonly op: string, readonly id: number, readonly timeoutMs: number) {
    super('ERR_JSONLINES_TIMEOUT', `no answer to ${op} #${id} within ${timeoutMs} ms`, { op, id, timeoutMs });
  }
}

/** The device answered `ok: false`. */
export class JsonLinesDeviceError extends EdgeplaneError {
  constructor(readonly op: string, readonly id: number, readonly deviceMessage: string) {
    super('ERR_JSONLINES_DEVICE', `device refused ${op} #${id}: ${deviceMessage}`, { op, id, deviceMessage });
  }
}

/** The device answered `ok: true` with a body that does not fit the protocol. */
export class JsonLinesProtocolError extends EdgeplaneError {
  constructor(readonly op: string, reason: string) {
    super('ERR_JSONLINES_PROTOCOL', `bad answer to ${op}: ${reason}`, { op, reason });
  }
}

export class ModbusTimeoutError extends EdgeplaneError {
  constructor(readonly slave: number, readonly functionCode: number, readonly timeoutMs: number) {
    super('ERR_MODBUS_TIMEOUT', `slave ${slave} did not answer function ${hex(functionCode)} within ${timeoutMs} ms`, { slave, functionCode, timeoutMs });
  }
}

export class ModbusCrcError extends EdgeplaneError {
  constructor(readonly received: number, readonly computed: number, readonly frame: string) {
    super('ERR_MODBUS_CRC', `CRC mismatch: frame carries ${hex(received, 4)}, computed ${hex(computed, 4)} (${frame})`, { received, computed, frame });
  }
}

/** A frame with a valid CRC whose content does not answer the request (or a truncated frame). */
export class ModbusFrameError extends EdgeplaneError {
  constructor(reason: string, readonly frame: string) {
    super('ERR_MODBUS_FRAME', `bad Modbus frame: ${reason} (${frame})`, { reason, frame });
  }
}

/** A request the master refuses to send (slave id, address, quantity or value out of range). */
export class ModbusRequestError extends EdgeplaneError {
  constructor(reason: string) {
    super('ERR_MODBUS_REQUEST', `invalid Modbus request: ${reason}`, { reason });
  }
}

/** The slave answered with an exception response (function | 0x80, exception code). */
export class ModbusExceptionError extends EdgeplaneError {
  constructor(readonly slave: number, readonly functionCode: number, readonly exceptionCode: number, readonly exceptionName: string) {
    super(
      'ERR_MODBUS_EXCEPTION',
      `slave ${slave} answered function ${hex(functionCode)} with exception ${exceptionCode} (${exceptionName})`,
      { slave, functionCode, exceptionCode, exceptionName },
    );
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function hex(n: number, digits = 2): string {
  return `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;
}
