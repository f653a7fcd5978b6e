import { headers as natsHeaders } from 'nats';
import { describe, expect, it } from 'vitest';
import { relayHeaders } from './relay.js';
import { HEADER } from './subjects.js';

const slab = { encode: (text: string) => new TextEncoder().encode(text) };
/** What the client's publish calls on a headers object (not in nats.js's public MsgHdrs type). */
const encoded = (h: unknown) => new TextDecoder().decode((h as { encode(): Uint8Array }).encode());

describe("the relay's headers", () => {
  it('encode to exactly the block the nats client would send, with and without the expected last id', () => {
    const h = relayHeaders(slab);
    for (const previous of ['e-0', undefined]) {
      h.set('e-1', 42, previous);
      const theirs = natsHeaders();
      theirs.set(HEADER.msgId, 'e-1');
      theirs.set(HEADER.position, '42');
      if (previous) theirs.set(HEADER.expectedLastMsgId, previous);
      expect(encoded(h.headers)).toBe(encoded(theirs));
    }
  });

  it('refuse a value that would break the header block', () => {
    const h = relayHeaders(slab);
    expect(() => h.set('e-1\r\nNats-Msg-Id: forged', 1, undefined)).toThrow(/CR and LF/);
    expect(() => h.set('e-1', 1, 'e-0\n')).toThrow(/CR and LF/);
  });
});
