import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BufferLockedError } from './errors.js';

/** Makes a directory entry change (a created, renamed or deleted file) survive a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Write-then-rename: a reader (or a recovery after a crash) sees the old content or the new one,
 * never a half-written file. The data is fsynced before the rename so the new name can never
 * point at blocks that were not written yet.
 */
export async function writeFileAtomic(dir: string, name: string, content: string): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
}

/** The parsed JSON, undefined when the file does not exist, `'unreadable'` when it is not JSON. */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return 'unreadable';
  }
}

/** Directories opened by this process, so a second open here is refused like one from elsewhere. */
const openHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One owner per buffer directory: two writers appending to the same segment would interleave
 * records. A lock left by a dead process (a crash) is taken over; one left by this process for a
 * directory it no longer holds open (an instance abandoned without close) is taken over too.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'lock');
  if (openHere.has(dir)) throw new BufferLockedError(dir, process.pid);
  openHere.add(dir);
  try {
    await writeFile(path, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      openHere.delete(dir);
      throw e;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      openHere.delete(dir);
      throw new BufferLockedError(dir, pid);
    }
    await writeFile(path, String(process.pid));
  }
  return async () => {
    openHere.delete(dir);
    await unlink(path).catch(() => undefined);
  };
}
