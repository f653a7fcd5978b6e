/**
 * Runs `task` every `intervalMs`, never two at once (a tick that finds the previous run still
 * going is skipped); a failure goes to `onError` and the next tick runs again. `stop()` ends the
 * ticks and waits for a run in progress.
 */
export function startPeriodic(task: () => Promise<void>, intervalMs: number, onError: (err: unknown) => void): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= task()
      .catch(onError)
      .finally(() => (running = undefined));
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
