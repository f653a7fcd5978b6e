/**
 * The argument checks `i2c-bus` (v5) makes before any transfer, with its messages, so the
 * simulated bus rejects the same calls the real one does.
 */
export function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 0x7f) throw new Error(`Invalid I2C address ${address}`);
}

export function checkCommand(cmd: number): void {
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0xff) throw new Error(`Invalid I2C command ${cmd}`);
}

export function checkByte(byte: number): void {
  if (!Number.isInteger(byte) || byte < 0 || byte > 0xff) throw new Error(`Invalid byte ${byte}`);
}

export function checkWord(word: number): void {
  if (!Number.isInteger(word) || word < 0 || word > 0xffff) throw new Error(`Invalid word ${word}`);
}

export function checkBufferAndLength(length: number, buffer: Buffer, maxLength?: number): void {
  if (!Number.isInteger(length) || length < 0 || (maxLength !== undefined && length > maxLength)) throw new Error(`Invalid buffer length ${length}`);
  if (!Buffer.isBuffer(buffer)) throw new Error(`Invalid buffer ${String(buffer)}`);
  if (buffer.length < length) throw new Error(`Buffer must contain at least ${length} bytes`);
}

/** A NACK on an SMBus ioctl, as i2c-bus reports it on Node 20 (Nan::ErrnoException, errno 121). */
export function smbusNackError(syscall: string): Error {
  return Object.assign(new Error(', Remote I/O error'), { errno: 121, code: '', syscall });
}

/** A NACK on plain read()/write() of the i2c-dev file, as libuv reports it. */
export function fileNackError(syscall: 'read' | 'write'): Error {
  return Object.assign(new Error(`EREMOTEIO: remote I/O error, ${syscall}`), { errno: -121, code: 'EREMOTEIO', syscall });
}

/** What i2c-bus gives after `close()`: its file descriptors are closed (SMBus calls: Nan's shape). */
export function closedBusError(syscall: string): Error {
  return syscall === 'read' || syscall === 'write'
    ? Object.assign(new Error(`EBADF: bad file descriptor, ${syscall}`), { errno: -9, code: 'EBADF', syscall })
    : Object.assign(new Error('EBADF, Bad file descriptor'), { errno: 9, code: 'EBADF', syscall });
}
