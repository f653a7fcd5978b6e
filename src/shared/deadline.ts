import type { Logger } from './logger.js';

/** The work's value, or undefined when it takes longer than `ms` (the work itself goes on). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for a step of a shutdown or a hand-over at most `ms`; a failure or a step that is late is
 * logged and the caller goes on (what a late step still does is fenced or harmless).
 */
export async function finishWithin(work: Promise<unknown>, ms: number, what: string, logger: Logger): Promise<void> {
  const done = await within(
    work.then(
      () => true,
      (err: unknown) => (logger.warn({ err }, `${what} failed`), true),
    ),
    ms,
  );
  if (done === undefined) logger.warn({ ms }, `${what} did not finish in time; going on`);
}
