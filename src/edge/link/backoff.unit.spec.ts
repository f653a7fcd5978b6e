import { describe, expect, it } from 'vitest';
import { createBackoff, reconnectDelayHandler, RECONNECT_BACKOFF_MS } from './backoff.js';

describe('reconnect backoff', () => {
  it('is the seed sequence exactly: 5, 10, 25, 50, 100, 250, 500 ms, then 1 s forever', () => {
    const b = createBackoff();
    expect(Array.from({ length: 12 }, () => b.next())).toEqual([5, 10, 25, 50, 100, 250, 500, 1000, 1000, 1000, 1000, 1000]);
    expect(b.attempts).toBe(12);
  });

  it('starts again from 5 ms after a successful connect', () => {
    const b = createBackoff();
    b.next();
    b.next();
    b.next();
    b.reset();
    expect([b.next(), b.next()]).toEqual([5, 10]);
  });

  it('refuses steps that are not delays', () => {
    expect(() => createBackoff([])).toThrow(RangeError);
    expect(() => createBackoff([5, -1])).toThrow(RangeError);
  });

  /**
   * nats 2.29's dial loop (protocol.js dodialLoop), with one server and every dial refused at
   * once: each pass asks the handler for `wait`; it dials when `lastConnect + wait ≤ now`, else
   * sleeps `lastConnect + wait - now` and asks again.
   */
  function simulateDialLoop(handler: () => number, clock: { t: number }, lastConnect: number, dials: number): number[] {
    const at: number[] = [];
    let last = lastConnect;
    while (at.length < dials) {
      const wait = handler();
      if (last + wait <= clock.t) {
        last = clock.t;
        at.push(clock.t);
      } else {
        clock.t += last + wait - clock.t;
      }
    }
    return at;
  }

  it('makes the nats dial loop wait each step once, between failed dials', () => {
    const clock = { t: 1_000_000 };
    const d = reconnectDelayHandler(createBackoff(), () => clock.t);
    // The first connect: the loop dials whatever the handler says; it succeeds.
    simulateDialLoop(d.handler, clock, 0, 1);
    d.connected();
    // Connected for a minute, then the server dies.
    clock.t += 60_000;
    const lost = clock.t;
    const dials = simulateDialLoop(d.handler, clock, lost - 60_000, 10).map((t) => t - lost);
    const gaps = dials.map((t, i) => t - (i === 0 ? 0 : dials[i - 1]!));
    expect(gaps).toEqual([5, 10, 25, 50, 100, 250, 500, 1000, 1000, 1000]);

    // The next dial succeeds; later the connection is lost again: the sequence starts over.
    const [reconnected] = simulateDialLoop(d.handler, clock, dials.at(-1)! + lost, 1);
    d.connected();
    clock.t += 5000;
    const lost2 = clock.t;
    const again = simulateDialLoop(d.handler, clock, reconnected!, 3).map((t) => t - lost2);
    expect(again).toEqual([5, 15, 40]);
  });

  it('exports the steps it uses', () => {
    expect(RECONNECT_BACKOFF_MS).toEqual([5, 10, 25, 50, 100, 250, 500, 1000]);
  });
});
