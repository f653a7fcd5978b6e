/**
 * The edge worker's link: readings and confirmations go to an on-disk buffer, a forwarder drains
 * it into JetStream in order, and actuations come back through a durable consumer.
 *
 *   const buffer = await openDiskBuffer(dir, { maxBytes });
 *   const connection = await connectEdge({ servers, name });
 *   const forwarder = createForwarder({ buffer, connection });
 *   const actuations = await startActuations({ connection, buffer, board, apply });
 *   await buffer.append(readingCommand(sensorId, value, at));
 */
import type { ChannelValue } from '../driver.js';
import type { EdgeCommand } from './diskBuffer.js';

export { openDiskBuffer, type DiskBuffer, type DiskBufferOptions, type BufferStats, type BufferChange, type BufferedRecord, type EdgeCommand } from './diskBuffer.js';
export { createBackoff, reconnectDelayHandler, RECONNECT_BACKOFF_MS, type Backoff } from './backoff.js';
export { connectEdge, type EdgeConnection, type EdgeConnectOptions } from './connection.js';
export { createForwarder, type Forwarder, type ForwarderOptions, type ForwarderStats } from './forwarder.js';
export { startActuations, type Actuations, type ActuationOptions, type ActuationStats } from './actuations.js';
export type { Actuation, SetActuation, PowerActuation, OtaAttempt } from './actuation.js';
export { BufferClosedError, BufferCorruptError, BufferLockedError, BufferWriteFailedError, ConnectAbortedError, ForwarderClosedError, NotDrainedError, RecordTooLargeError } from './errors.js';

/** A reading for the sensor actor of a channel: `RecordReading {value, at}`. */
export function readingCommand(sensorId: string, value: ChannelValue, at: Date | string = new Date()): EdgeCommand {
  return { kind: 'sensor', id: sensorId, type: 'RecordReading', data: { value, at: typeof at === 'string' ? at : at.toISOString() } };
}
