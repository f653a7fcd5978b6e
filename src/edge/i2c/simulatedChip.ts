/**
 * A chip on the simulated bus, seen the way the wire sees it: write transfers (after the
 * address byte) and read transfers. SMBus calls are built from these by the bus exactly as the
 * kernel builds them (e.g. `readWord(cmd)` = write [cmd], repeated START, read 2 bytes), so a
 * chip only has to implement its register pointer and register map, with the datasheet's byte
 * order, and the SMBus little-endian word rule falls out on its own.
 */
export interface SimulatedI2cChip {
  /** One write transfer: the bytes after the address byte. Throw `ChipNack` to not acknowledge. */
  write(bytes: Uint8Array): void;
  /** One read transfer of `length` bytes. */
  read(length: number): Uint8Array;
}

/** Thrown by a simulated chip that does not acknowledge (e.g. a pointer to a reserved register). */
export class ChipNack extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ChipNack';
  }
}

/** How the simulated chips read time; value sources are functions of it. */
export type Clock = () => number;
