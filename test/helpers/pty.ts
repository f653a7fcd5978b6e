import { spawn, type ChildProcess } from 'node:child_process';

export interface SocatPtyPair {
  /** The two ends' device paths (`/dev/pts/N`). */
  paths: [string, string];
  close(): Promise<void>;
}

/** A real pseudo-terminal pair from socat (installed by the test setup), for serial tests. */
export async function socatPtyPair(): Promise<SocatPtyPair> {
  const socat: ChildProcess = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const paths = await new Promise<[string, string]>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`socat gave no ptys: ${stderr}`)), 5000);
    socat.once('error', reject);
    socat.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const found = [...stderr.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1] as string);
      // Both ends exist once socat starts its transfer loop.
      if (found.length === 2 && stderr.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve([found[0]!, found[1]!]);
      }
    });
  });
  return {
    paths,
    async close() {
      if (socat.exitCode !== null || socat.signalCode !== null) return;
      const exited = new Promise((r) => socat.once('exit', r));
      socat.kill('SIGTERM');
      await exited;
    },
  };
}
