import { describe, it } from 'vitest';
import { getEsdbEventStore } from '../../src/eventstore/esdbEventStore.js';
import { runEventStoreContract } from './eventStore.contract.js';

const url = process.env.EVENTSTORE_URL;

if (url) {
  runEventStoreContract('esdb', async () => ({ store: getEsdbEventStore({ connectionString: url }), cleanup: async () => undefined }));
} else {
  describe('EventStore contract: esdb', () => {
    it('is skipped: EVENTSTORE_URL is not set (set it, e.g. esdb://localhost:2113?tls=false, to run the contract against a real server)', () => {
      process.stdout.write('\n[esdb contract] SKIPPED — EVENTSTORE_URL is not set; the esdb adapter was not exercised in this run.\n');
    });
  });
}
