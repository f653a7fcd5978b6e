import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OtaAttemptError } from './errors.js';

/** Commits name files here: nothing that could leave the directory. */
const SAFE_COMMIT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** A board's firmware images: `<firmwareDir>/<commit>.bin`. */
export async function firmwareFromDir(dir: string | undefined, commit: string): Promise<Buffer> {
  if (!dir) throw new OtaAttemptError('no firmware directory is configured (dependents.firmwareDir in hardware.json)');
  if (!SAFE_COMMIT.test(commit) || commit.includes('..')) throw new OtaAttemptError(`commit ${JSON.stringify(commit)} cannot name a firmware file`);
  const path = join(dir, `${commit}.bin`);
  try {
    return await readFile(path);
  } catch (e) {
    throw new OtaAttemptError(`firmware image ${path} cannot be read (${(e as Error).message})`, { path }, e);
  }
}

/** A simulated image: the same bytes for the same commit, so a resumed transfer sends the same image. */
export function simulatedFirmware(commit: string, size: number): Buffer {
  const image = Buffer.alloc(size);
  let block = createHash('sha256').update(commit).digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(image, at, 0, Math.min(block.length, size - at));
    block = createHash('sha256').update(block).digest();
  }
  return image;
}
