import { setFlagsFromString } from 'node:v8';

/**
 * Node flags the control plane runs with. They must be on node's command line (V8 sizes its heap
 * when the process starts, and NODE_OPTIONS refuses this one): `bin/edgeplane.js` carries them in
 * its `#!` line, and whatever starts the control plane with an explicit `node` adds them.
 *
 * `--initial-old-space-size`: V8 skips full collections while the old generation is below this
 * size. Without it V8 sizes the old generation to the live heap (tens of MB here) and, at 1,000
 * commands/s, ran a full collection about every 4 s; each one delayed 30–47 commands by up to
 * 20–40 ms (incremental marking steps plus a 3–7 ms final pause, on the same thread as the actor
 * host). With it, at that rate, a full collection comes every few minutes. The cost is memory:
 * garbage may grow to this size before it is collected.
 */
export const CONTROL_PLANE_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=256'];

/** The flags of CONTROL_PLANE_NODE_FLAGS missing from a process's node arguments. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return CONTROL_PLANE_NODE_FLAGS.filter((flag) => {
    const name = flag.split('=')[0]!;
    // V8 reads `_` and `-` alike in flag names.
    const same = (arg: string) => arg.split('=')[0]!.replaceAll('_', '-') === name;
    return !execArgv.some(same);
  });
}

/**
 * Keeps the control plane's young-generation pauses short after a burst.
 *
 * V8 pretenures an allocation site (allocates its objects straight into the old generation)
 * once most of its objects have survived a scavenge. During a burst of commands nearly
 * everything on the command path is in flight when a scavenge runs, so the decider, actor,
 * store and NATS-header sites get pretenured, and stay so. After the burst those objects die
 * young but sit in the old generation until the next full collection, and everything they
 * point to survives each scavenge with them. Measured with `--trace-gc-nvp` on the whole
 * control plane at 1,000 commands/s after a 5,000-command burst: per scavenge 1.3–1.6 MB
 * survived, 1.3–1.4 MB promoted, 4–5.4 ms pauses; with pretenuring off about 0.5 MB, 0.5 MB
 * and 2.3 ms. Nothing on the command path lives long enough to gain from pretenuring: actor
 * state is replaced on every command.
 *
 * The flag is process-wide and takes effect at the next collection, so the control plane
 * sets it when it starts, before its own code has run.
 */
export function keepYoungPausesShort(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
