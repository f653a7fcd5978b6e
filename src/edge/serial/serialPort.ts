import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import { SerialClosedError, SerialOpenError, SerialUnavailableError, SerialWriteError } from './errors.js';

/**
 * The serial bus port: a byte duplex. Protocol code (JSON lines, Modbus RTU) and the simulated
 * devices talk to this, never to `serialport`, so the same code runs over a real UART, a
 * pseudo-terminal or the in-memory pair below.
 *
 * Whoever opens a link closes it: drivers only stop listening when they close, because several
 * Modbus slaves may share one RS-485 link.
 */
export interface SerialLink {
  /** The device path, or a label for in-memory links. */
  readonly name: string;
  /** Known for real ports; protocols derive their timing (Modbus inter-frame silence) from it. */
  readonly baudRate: number | undefined;
  readonly isOpen: boolean;
  /** Resolves once the bytes are handed to the OS (and drained, for real ports). */
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  on(event: 'data', listener: (chunk: Uint8Array) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'close', listener: () => void): this;
  off(event: 'data', listener: (chunk: Uint8Array) => void): this;
  off(event: 'error', listener: (err: Error) => void): this;
  off(event: 'close', listener: () => void): this;
}

export interface SerialPortOptions {
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  stopBits?: 1 | 1.5 | 2;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  rtscts?: boolean;
  /** Exclusive access (default true, as in serialport). */
  lock?: boolean;
}

type SerialPortModule = { SerialPort: typeof SerialPort };

/** How `serialport` is loaded; tests replace it to check the unavailable path. */
export interface SerialPortDeps {
  load?: () => Promise<SerialPortModule>;
}

/** Opens a real serial port through `serialport` (v13), loaded only now. */
export async function openSerialPort(path: string, options: SerialPortOptions, deps: SerialPortDeps = {}): Promise<SerialLink> {
  let mod: SerialPortModule;
  try {
    mod = await (deps.load ?? (() => import('serialport')))();
  } catch (e) {
    throw new SerialUnavailableError(e);
  }
  const port = new mod.SerialPort({ path, ...options, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new SerialOpenError(path, err)) : resolve())));
  return new PortLink(port);
}

class PortLink extends EventEmitter implements SerialLink {
  readonly name: string;
  readonly baudRate: number;

  constructor(private readonly port: SerialPort) {
    super();
    this.name = port.path;
    this.baudRate = port.baudRate;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    // An unheard 'error' would throw out of serialport's callback; users that care listen.
    port.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    port.on('close', () => this.emit('close'));
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.port.isOpen) return Promise.reject(new SerialClosedError(this.name));
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (err) => {
        if (err) return reject(new SerialWriteError(this.name, err));
        // drain = tcdrain: the bytes have left, so reply timers start at the right moment.
        this.port.drain((drainErr) => (drainErr ? reject(new SerialWriteError(this.name, drainErr)) : resolve()));
      });
    });
  }

  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}

/**
 * Two in-memory links joined like a null-modem cable: bytes written to one arrive, later in
 * the event loop and as a copy, on the other. Closing either end closes both.
 */
export function createSerialPair(opts: { baudRate?: number; names?: [string, string] } = {}): [SerialLink, SerialLink] {
  const [nameA, nameB] = opts.names ?? ['pair:a', 'pair:b'];
  const a = new MemoryLink(nameA, opts.baudRate);
  const b = new MemoryLink(nameB, opts.baudRate);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryLink extends EventEmitter implements SerialLink {
  peer: MemoryLink | undefined;
  private open = true;

  constructor(readonly name: string, readonly baudRate: number | undefined) {
    super();
  }

  get isOpen(): boolean {
    return this.open;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.open) return Promise.reject(new SerialClosedError(this.name));
    const copy = Uint8Array.from(bytes);
    const peer = this.peer;
    setImmediate(() => {
      if (peer?.open) peer.emit('data', copy);
    });
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.shut();
    this.peer?.shut();
  }

  private shut(): void {
    if (!this.open) return;
    this.open = false;
    setImmediate(() => this.emit('close'));
  }
}
