import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The niceness the read side runs at: it yields to the command path whenever both want a core. */
export const BACKGROUND_NICE = 10;

/**
 * Lowers the calling thread's CPU priority (Linux: the thread's own nice value, found through
 * /proc/thread-self; `setpriority` on a thread id changes that thread only). For the threads that
 * follow the store — relay, projections, WAL checkpointer: on a small board every commit wakes
 * all of them at once, and at normal priority they take the cores from the threads a waiting
 * sender is waiting on (actor host, SQLite writer, nats-server). Niced, they still use every idle
 * cycle and keep up; they only give way while the command path needs the CPU. Returns false where
 * a thread's priority cannot be set (other systems), which changes nothing else.
 */
export function runAsBackgroundThread(nice = BACKGROUND_NICE): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
