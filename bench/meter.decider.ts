import type { Decider } from '../src/actors/decider.js';

/** The benchmark's actor: a meter that records readings (the shape of a sensor's hot path). */
export interface MeterState {
  readings: number;
  last?: number;
}
type RecordReading = { type: 'RecordReading'; data: { value: number; at?: string }; metadata: { timestamp: string; commandId: string; kind: string; id: string } };
type ReadingRecorded = { type: 'ReadingRecorded'; data: { value: number; at: string } };

export const meterDecider: Decider<MeterState, RecordReading, ReadingRecorded> = {
  kind: 'meter',
  version: '1',
  commandTypes: ['RecordReading'],
  initialState: () => ({ readings: 0 }),
  decide: (command) => [{ type: 'ReadingRecorded', data: { value: command.data.value, at: command.data.at ?? command.metadata.timestamp } }],
  evolve: (state, event) => ({ readings: state.readings + 1, last: event.data.value }),
};
