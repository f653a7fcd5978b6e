/**
 * Actor placement: every actor belongs to one of P partitions, by a hash of its address. The
 * partition is part of the command subject, so each control-plane process consumes only the
 * partitions it holds a lease on. P is a cluster-wide constant: changing it re-homes actors.
 */
export const DEFAULT_PARTITIONS = 16;
export const MAX_PARTITIONS = 1024;

/** FNV-1a (32 bit) of `kind/id`, modulo the partition count: stable across processes and versions. */
export function partitionOf(kind: string, id: string, partitions: number = DEFAULT_PARTITIONS): number {
  let h = 0x811c9dc5;
  const key = `${kind}/${id}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
