import { SimPeripheral } from '../simulatedPeripheral.js';
import { crc32 } from './crc32.js';
import { FailReason, NakReason, OTA_CONTROL_UUID, OTA_DATA_UUID, OTA_SERVICE_UUID, decodeChunk, decodeControl, encodeDevice, type DeviceFrame } from './protocol.js';

/**
 * The device side of the OTA protocol (protocol.ts), as firmware on a simulated peripheral would
 * run it, with its flash kept across disconnects, plus the faults real devices and radios have.
 * Counts are 1-based and over the device's whole life (not per connection).
 */
export interface OtaFaults {
  /** Drop these ACKs (3: the third ACK the device would send never reaches the air). */
  dropAcks?: number[];
  /** Drop the link right after storing these chunks, before their ACK. */
  disconnectAfterChunks?: number[];
  /** Garble these chunk frames in transit (counted over frames received): the per-chunk CRC catches it. */
  corruptChunks?: number[];
  /** Store these chunks wrongly although they arrived intact (counted over chunks stored): only VERIFY's CRC catches it. */
  corruptStoredChunks?: number[];
  /** Take every write, answer nothing. */
  silent?: boolean;
  /** Answer normally until this many chunks are stored (that chunk's ACK included), then nothing more. */
  silentAfterChunks?: number;
  /** After storing this many chunks, drop the link and stop advertising for good (out of range). */
  vanishAfterChunks?: number;
}

export interface OtaFlash {
  /** The image being received (or last received), by identity. */
  pending: { size: number; crc32: number; version: string; image: Buffer; offset: number } | null;
  installed: { version: string; crc32: number; image: Buffer } | null;
}

export interface OtaDeviceStats {
  /** `resumeFrom` of every READY sent. */
  readies: number[];
  /** Offset of every CHUNK frame received, in order (resends included). */
  chunkOffsets: number[];
  chunksStored: number;
  acksSent: number;
  acksDropped: number;
  naks: { seq: number; reason: number }[];
  verifies: number;
  controlWrites: number;
}

export class OtaDeviceSim {
  readonly stats: OtaDeviceStats = { readies: [], chunkOffsets: [], chunksStored: 0, acksSent: 0, acksDropped: 0, naks: [], verifies: 0, controlWrites: 0 };
  private started = false;
  private acks = 0;

  constructor(
    readonly peripheral: SimPeripheral,
    readonly capacity: number,
    public faults: OtaFaults = {},
    readonly flash: OtaFlash = { pending: null, installed: null },
  ) {
    // A session lives as long as its link: after a reconnect the gateway must START again.
    peripheral.on('disconnected', () => {
      this.started = false;
    });
  }

  onControl(data: Buffer): void {
    this.stats.controlWrites++;
    let f;
    try {
      f = decodeControl(data);
    } catch {
      return this.send({ op: 'FAIL', reason: FailReason.BAD_START, detail: 0 });
    }
    if (f.op === 'START') {
      if (f.size === 0 || f.chunkSize === 0) return this.send({ op: 'FAIL', reason: FailReason.BAD_START, detail: 0 });
      if (f.size > this.capacity) return this.send({ op: 'FAIL', reason: FailReason.TOO_LARGE, detail: this.capacity });
      const p = this.flash.pending;
      if (!p || p.size !== f.size || p.crc32 !== f.crc32 || p.version !== f.version) {
        this.flash.pending = { size: f.size, crc32: f.crc32, version: f.version, image: Buffer.alloc(f.size), offset: 0 };
      }
      this.started = true;
      this.stats.readies.push(this.flash.pending!.offset);
      return this.send({ op: 'READY', resumeFrom: this.flash.pending!.offset });
    }
    this.stats.verifies++;
    const p = this.flash.pending;
    if (!this.started || !p) return this.send({ op: 'FAIL', reason: FailReason.BAD_START, detail: 0 });
    if (p.offset < p.size) return this.send({ op: 'FAIL', reason: FailReason.INCOMPLETE, detail: p.offset });
    const crc = crc32(p.image);
    if (crc !== p.crc32) {
      this.flash.pending = null; // a bad image is not resumed: the next attempt starts from 0
      return this.send({ op: 'FAIL', reason: FailReason.IMAGE_CRC, detail: crc });
    }
    // Kept as pending too, so a repeated VERIFY (its DONE lost) is answered DONE again.
    this.flash.installed = { version: p.version, crc32: crc, image: Buffer.from(p.image) };
    return this.send({ op: 'DONE', crc32: crc });
  }

  onData(data: Buffer): void {
    let f;
    try {
      f = decodeChunk(data);
    } catch {
      return;
    }
    this.stats.chunkOffsets.push(f.offset);
    if (this.faults.corruptChunks?.includes(this.stats.chunkOffsets.length) && f.bytes.length > 0) f.bytes[0] = f.bytes[0]! ^ 0xff;
    const p = this.flash.pending;
    if (!this.started || !p) return this.nak(f.seq, NakReason.NOT_STARTED, 0);
    if (crc32(f.bytes) !== f.crc32) return this.nak(f.seq, NakReason.CRC, p.offset);
    if (f.offset > p.offset) return this.nak(f.seq, NakReason.OFFSET, p.offset);
    if (f.offset + f.bytes.length > p.size) return this.nak(f.seq, NakReason.BOUNDS, p.offset);
    // At or before where we are (a resend after a lost ACK): the bytes are the same image's, so storing them again is harmless.
    f.bytes.copy(p.image, f.offset);
    const stored = ++this.stats.chunksStored;
    if (this.faults.corruptStoredChunks?.includes(stored)) p.image[f.offset] = p.image[f.offset]! ^ 0xff;
    p.offset = Math.max(p.offset, f.offset + f.bytes.length);
    if (this.faults.vanishAfterChunks === stored) return this.peripheral.powerOff();
    if (this.faults.disconnectAfterChunks?.includes(stored)) return this.peripheral.disconnect();
    if (this.mute) return;
    const ack = ++this.acks;
    if (this.faults.dropAcks?.includes(ack)) {
      this.stats.acksDropped++;
      return;
    }
    this.stats.acksSent++;
    this.send({ op: 'ACK', seq: f.seq, nextOffset: p.offset });
  }

  private nak(seq: number, reason: number, expectedOffset: number): void {
    this.stats.naks.push({ seq, reason });
    this.send({ op: 'NAK', seq, reason, expectedOffset });
  }

  /** A stuck firmware: it still takes writes (and stores chunks), it just never answers. */
  private get mute(): boolean {
    const after = this.faults.silentAfterChunks;
    return this.faults.silent === true || (after !== undefined && this.stats.chunksStored > after);
  }

  private send(f: DeviceFrame): void {
    if (this.mute) return;
    this.peripheral.characteristic(OTA_CONTROL_UUID).notify(encodeDevice(f));
  }
}

export interface OtaPeripheralOptions {
  address: string;
  localName?: string;
  /** Largest image the device takes. Default 1 MiB. */
  capacity?: number;
  faults?: OtaFaults;
  latencyMs?: number;
  /** Flash contents to start from (a device that already holds part of an image). */
  flash?: OtaFlash;
}

/** A simulated peripheral advertising the OTA service, with the device logic behind its characteristics. */
export function createOtaPeripheral(opts: OtaPeripheralOptions): { peripheral: SimPeripheral; device: OtaDeviceSim } {
  let device: OtaDeviceSim | undefined;
  const peripheral = new SimPeripheral({
    address: opts.address,
    ...(opts.localName === undefined ? {} : { localName: opts.localName }),
    ...(opts.latencyMs === undefined ? {} : { latencyMs: opts.latencyMs }),
    services: [
      {
        uuid: OTA_SERVICE_UUID,
        characteristics: [
          { uuid: OTA_CONTROL_UUID, properties: ['write', 'notify'], onWrite: (d) => device?.onControl(d) },
          { uuid: OTA_DATA_UUID, properties: ['write', 'writeWithoutResponse'], onWrite: (d) => device?.onData(d) },
        ],
      },
    ],
  });
  device = new OtaDeviceSim(peripheral, opts.capacity ?? 1024 * 1024, opts.faults ?? {}, opts.flash);
  return { peripheral, device };
}
