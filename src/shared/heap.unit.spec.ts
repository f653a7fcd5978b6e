import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_NODE_FLAGS, missingNodeFlags } from './heap.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');

describe('the control plane node flags', () => {
  it('are found missing, or present in either spelling of a V8 flag name', () => {
    expect(missingNodeFlags([])).toEqual([...CONTROL_PLANE_NODE_FLAGS]);
    expect(missingNodeFlags(['--enable-source-maps', ...CONTROL_PLANE_NODE_FLAGS])).toEqual([]);
    expect(missingNodeFlags(['--initial_old_space_size=64'])).toEqual([]);
    expect(missingNodeFlags(['--initial-old-space'])).toEqual([...CONTROL_PLANE_NODE_FLAGS]);
  });

  // Node reads them only from its command line, so each way of starting the control plane carries
  // its own copy: they must not drift apart.
  it.each([
    ['bin/edgeplane.js (its #! line)', () => read('bin/edgeplane.js').split('\n')[0]!],
    ['deploy/systemd/edgeplane.service (ExecStart)', () => read('deploy/systemd/edgeplane.service').split('\n').find((l) => l.startsWith('ExecStart='))!],
    ['scripts/bench.sh', () => read('scripts/bench.sh').split('\n').find((l) => l.startsWith('node=('))!],
  ])('are all on %s', (_where, line) => {
    const args = line().split(/[\s()]+/);
    expect(args).toEqual(expect.arrayContaining([...CONTROL_PLANE_NODE_FLAGS]));
    expect(missingNodeFlags(args)).toEqual([]);
  });

  it('are given by the #! line to node itself', () => {
    const shebang = read('bin/edgeplane.js').split('\n')[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
  });
});
