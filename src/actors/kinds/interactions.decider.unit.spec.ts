import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMESTAMP as NOW, deciderSpec } from '../../../test/helpers/decider.js';
import { isDomainRejection } from '../../shared/errors.js';
import { interactionsDecider, type InteractionsCommand, type InteractionsEvent, type InteractionsState, type Roles } from './interactions.decider.js';
import type { ComparisonOp } from './interactionConflicts.js';

const given = deciderSpec(interactionsDecider, { id: 'default' });
const T0 = '2024-05-01T11:00:00.000Z';

const MOTION = 'sensor/motion-1';
const LIGHT = 'sensor/light-1';
const ROLES: Roles = { [MOTION]: 'sensor', [LIGHT]: 'actuator', 'sensor/fan-1': 'actuator' };

const rule = (id: string, source: string, op: ComparisonOp, threshold: number, target: string, value: number) => ({
  id,
  when: { source, op, value: threshold },
  then: { target, value },
});

function added(r: ReturnType<typeof rule>, enabled = true, at = T0): InteractionsEvent {
  return { type: 'InteractionAdded', data: { ...r, enabled, forcedConflicts: [], at } };
}

const lightOn = rule('light-on', MOTION, '>', 5, LIGHT, 1);
const lightOff = rule('light-off', MOTION, '>', 5, LIGHT, 0);

/** The rejection's details, for assertions the helper does not make. */
function refusal(history: InteractionsEvent[], command: Pick<InteractionsCommand, 'type' | 'data'>): { code: string; message: string; details: Record<string, unknown> } {
  const state = history.reduce<InteractionsState>((s, e) => interactionsDecider.evolve(s, e), interactionsDecider.initialState());
  const metadata = { commandId: 'c1', timestamp: NOW, kind: 'interactions', id: 'default' };
  try {
    interactionsDecider.decide({ ...command, metadata } as InteractionsCommand, state);
  } catch (err) {
    if (isDomainRejection(err)) return err as unknown as { code: string; message: string; details: Record<string, unknown> };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('interactions decider', () => {
  describe('AddInteraction', () => {
    it('adds an enabled interaction by default, stamped with the decision time', () => {
      const state = given([])
        .when({ type: 'AddInteraction', data: { ...lightOn, roles: ROLES } })
        .then([{ type: 'InteractionAdded', data: { ...lightOn, enabled: true, forcedConflicts: [], at: NOW } }]);
      expect(state.interactions['light-on']).toEqual({ ...lightOn, enabled: true, version: 1, createdAt: NOW, updatedAt: NOW });
    });

    it('adds a disabled one when asked', () => {
      const state = given([]).when({ type: 'AddInteraction', data: { ...lightOn, enabled: false } }).then([added(lightOn, false, NOW)]);
      expect(state.interactions['light-on']?.enabled).toBe(false);
    });

    it('refuses a duplicate id', () => {
      given([added(lightOn)]).when({ type: 'AddInteraction', data: { ...lightOn } }).thenRejects('ERR_INTERACTION_EXISTS', 'light-on already exists');
    });

    it('refuses the flicker pair of the seed (motion > 5 turns the light on and off), naming both', () => {
      given([added(lightOn)]).when({ type: 'AddInteraction', data: { ...lightOff, roles: ROLES } }).thenRejects('ERR_INTERACTION_CONFLICT', /flicker \(light-off, light-on\).*flicker/);
      const err = refusal([added(lightOn)], { type: 'AddInteraction', data: { ...lightOff, roles: ROLES } });
      expect(err.details.conflicts).toEqual([{ kind: 'flicker', interactions: ['light-off', 'light-on'], reason: expect.stringContaining(LIGHT) }]);
      expect(err.message).toContain('force: true');
    });

    it('refuses overlapping ranges that set different values (> 5 and > 3)', () => {
      const wide = rule('wide', MOTION, '>', 3, LIGHT, 0);
      given([added(lightOn)]).when({ type: 'AddInteraction', data: wide }).thenRejects('ERR_INTERACTION_CONFLICT', `${MOTION} = 6`);
    });

    it('allows non-overlapping ranges (> 5 → 1 and < 3 → 0)', () => {
      const dark = rule('dark', MOTION, '<', 3, LIGHT, 0);
      given([added(lightOn)]).when({ type: 'AddInteraction', data: { ...dark, roles: ROLES } }).then([{ type: 'InteractionAdded', data: { ...dark, enabled: true, forcedConflicts: [], at: NOW } }]);
    });

    it('refuses a three-rule cycle, listing the rules in loop order', () => {
      const ab = rule('ab', 'sensor/a', '>', 0, 'sensor/b', 1);
      const bc = rule('bc', 'sensor/b', '>', 0, 'sensor/c', 1);
      const ca = rule('ca', 'sensor/c', '>', 0, 'sensor/a', 1);
      given([added(ab), added(bc)]).when({ type: 'AddInteraction', data: ca }).thenRejects('ERR_INTERACTION_CONFLICT', 'sensor/c → sensor/a (ca) → sensor/b (ab) → sensor/c (bc)');
      expect(refusal([added(ab), added(bc)], { type: 'AddInteraction', data: ca }).details.conflicts).toEqual([expect.objectContaining({ kind: 'cycle', interactions: ['ca', 'ab', 'bc'] })]);
      // Disabled rules fire nothing, so they close no loop.
      given([added(ab, false), added(bc)]).when({ type: 'AddInteraction', data: ca }).then([{ type: 'InteractionAdded', data: { ...ca, enabled: true, forcedConflicts: [], at: NOW } }]);
    });

    it('refuses a sensor as target by the roles the command carries, even with force or disabled', () => {
      const bad = rule('bad', LIGHT, '>', 0, MOTION, 1);
      given([]).when({ type: 'AddInteraction', data: { ...bad, roles: ROLES } }).thenRejects('ERR_INTERACTION_CONFLICT', `read-only-target (bad): bad sets ${MOTION}, which is a sensor`);
      given([]).when({ type: 'AddInteraction', data: { ...bad, roles: ROLES, force: true } }).thenRejects('ERR_INTERACTION_CONFLICT', 'force cannot make a sensor writable');
      given([]).when({ type: 'AddInteraction', data: { ...bad, roles: ROLES, enabled: false } }).thenRejects('ERR_INTERACTION_CONFLICT', 'read-only');
      // Without roles the target is not judged (the submitter did not know it either).
      given([]).when({ type: 'AddInteraction', data: bad }).then([added(bad, true, NOW)]);
    });

    it('accepts a conflict with force: true, and the event keeps what was overridden', () => {
      const state = given([added(lightOn)])
        .when({ type: 'AddInteraction', data: { ...lightOff, force: true, roles: ROLES } })
        .then([
          {
            type: 'InteractionAdded',
            data: { ...lightOff, enabled: true, forcedConflicts: [{ kind: 'flicker', interactions: ['light-off', 'light-on'], reason: expect.stringContaining('flicker') }], at: NOW },
          },
        ]);
      expect(Object.keys(state.interactions)).toEqual(['light-on', 'light-off']);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a bad id', { ...lightOn, id: 'has space' }, 'field id'],
      ['a missing when', { id: 'x', then: lightOn.then }, 'field when'],
      ['a source that is not a device address', { ...lightOn, when: { ...lightOn.when, source: 'node/n1' } }, 'field when.source must be a device address'],
      ['a source id with a dot', { ...lightOn, when: { ...lightOn.when, source: 'sensor/a.b' } }, 'field when.source'],
      ['an unknown operator', { ...lightOn, when: { ...lightOn.when, op: '=>' } }, 'field when.op must be one of >, >=, <, <=, ==, !='],
      ['a threshold that is not finite', { ...lightOn, when: { ...lightOn.when, value: Number.POSITIVE_INFINITY } }, 'field when.value must be a finite number'],
      ['a threshold given as a string', { ...lightOn, when: { ...lightOn.when, value: '5' } }, 'field when.value'],
      ['a target that is not a device address', { ...lightOn, then: { target: 'sensor/', value: 1 } }, 'field then.target'],
      ['a target value that is NaN', { ...lightOn, then: { target: LIGHT, value: Number.NaN } }, 'field then.value'],
      ['a non-boolean enabled', { ...lightOn, enabled: 'yes' }, 'field enabled'],
      ['a non-boolean force', { ...lightOn, force: 1 }, 'field force'],
      ['roles that are not an object', { ...lightOn, roles: ['actuator'] }, 'field roles'],
      ['a role address that is not sensor/<id>', { ...lightOn, roles: { 'light-1': 'actuator' } }, 'field roles["light-1"]'],
    ])('refuses %s', (_what, data, message) => {
      given([]).whenRaw('AddInteraction', data).thenRejects('ERR_INVALID_COMMAND', message);
    });

    it('refuses an unknown role with its own code', () => {
      given([]).whenRaw('AddInteraction', { ...lightOn, roles: { [LIGHT]: 'switch' } }).thenRejects('ERR_INVALID_ROLE', 'must be one of sensor, actuator');
    });
  });

  describe('UpdateInteraction', () => {
    it('changes the condition, the action or both, and bumps the version', () => {
      const state = given([added(lightOn)])
        .when({ type: 'UpdateInteraction', data: { id: 'light-on', when: { source: MOTION, op: '>=', value: 7 } } })
        .then([{ type: 'InteractionUpdated', data: { id: 'light-on', when: { source: MOTION, op: '>=', value: 7 }, then: lightOn.then, forcedConflicts: [], at: NOW } }]);
      expect(state.interactions['light-on']).toMatchObject({ version: 2, createdAt: T0, updatedAt: NOW, enabled: true });
      given([added(lightOn)])
        .when({ type: 'UpdateInteraction', data: { id: 'light-on', then: { target: 'sensor/fan-1', value: 3 } } })
        .then([{ type: 'InteractionUpdated', data: { id: 'light-on', when: lightOn.when, then: { target: 'sensor/fan-1', value: 3 }, forcedConflicts: [], at: NOW } }]);
    });

    it('records nothing when nothing changes', () => {
      given([added(lightOn)]).when({ type: 'UpdateInteraction', data: { id: 'light-on', when: { ...lightOn.when } } }).thenNothingHappened();
    });

    it('is checked against the others, not against its own old version', () => {
      const dark = rule('dark', MOTION, '<', 3, LIGHT, 0);
      given([added(lightOn), added(dark)]).when({ type: 'UpdateInteraction', data: { id: 'dark', when: { source: MOTION, op: '<', value: 6 } } }).thenRejects('ERR_INTERACTION_CONFLICT', 'flicker (dark, light-on)');
      given([added(lightOn)]).when({ type: 'UpdateInteraction', data: { id: 'light-on', then: { target: LIGHT, value: 0 } } }).then([
        { type: 'InteractionUpdated', data: { id: 'light-on', when: lightOn.when, then: { target: LIGHT, value: 0 }, forcedConflicts: [], at: NOW } },
      ]);
    });

    it('accepts a conflicting update with force', () => {
      const dark = rule('dark', MOTION, '<', 3, LIGHT, 0);
      const state = given([added(lightOn), added(dark)]).when({ type: 'UpdateInteraction', data: { id: 'dark', when: { source: MOTION, op: '<', value: 6 }, force: true } }).then([
        { type: 'InteractionUpdated', data: { id: 'dark', when: { source: MOTION, op: '<', value: 6 }, then: dark.then, forcedConflicts: [expect.objectContaining({ kind: 'flicker' })], at: NOW } },
      ]);
      expect(state.interactions.dark?.when.value).toBe(6);
    });

    it('refuses a sensor as new target, an unknown id, and an update with nothing in it', () => {
      given([added(lightOn)]).when({ type: 'UpdateInteraction', data: { id: 'light-on', then: { target: MOTION, value: 1 }, roles: ROLES } }).thenRejects('ERR_INTERACTION_CONFLICT', 'read-only');
      given([]).when({ type: 'UpdateInteraction', data: { id: 'nope', then: lightOn.then } }).thenRejects('ERR_INTERACTION_NOT_FOUND', 'no interaction nope');
      given([added(lightOn)]).when({ type: 'UpdateInteraction', data: { id: 'light-on' } }).thenRejects('ERR_INVALID_COMMAND', 'when, then or both');
      given([added(lightOn)]).whenRaw('UpdateInteraction', { id: 'light-on', when: { source: MOTION, op: '~', value: 1 } }).thenRejects('ERR_INVALID_COMMAND', 'field when.op');
    });
  });

  describe('DeleteInteraction', () => {
    it('deletes, after which the id is free again', () => {
      const state = given([added(lightOn)]).when({ type: 'DeleteInteraction', data: { id: 'light-on' } }).then([{ type: 'InteractionDeleted', data: { id: 'light-on', at: NOW } }]);
      expect(state.interactions).toEqual({});
      given([added(lightOn), { type: 'InteractionDeleted', data: { id: 'light-on', at: T0 } }]).when({ type: 'AddInteraction', data: lightOff }).then([
        { type: 'InteractionAdded', data: { ...lightOff, enabled: true, forcedConflicts: [], at: NOW } },
      ]);
    });

    it('refuses an unknown or malformed id', () => {
      given([]).when({ type: 'DeleteInteraction', data: { id: 'light-on' } }).thenRejects('ERR_INTERACTION_NOT_FOUND');
      given([]).whenRaw('DeleteInteraction', { id: 42 }).thenRejects('ERR_INVALID_COMMAND', 'field id');
    });
  });

  describe('EnableInteraction and DisableInteraction', () => {
    const disabledOff = added(lightOff, false);

    it('disables and enables, each once', () => {
      const off = given([added(lightOn)]).when({ type: 'DisableInteraction', data: { id: 'light-on' } }).then([{ type: 'InteractionDisabled', data: { id: 'light-on', at: NOW } }]);
      expect(off.interactions['light-on']).toMatchObject({ enabled: false, version: 2 });
      given([added(lightOn, false)]).when({ type: 'DisableInteraction', data: { id: 'light-on' } }).thenNothingHappened();
      const on = given([added(lightOn, false)]).when({ type: 'EnableInteraction', data: { id: 'light-on' } }).then([{ type: 'InteractionEnabled', data: { id: 'light-on', forcedConflicts: [], at: NOW } }]);
      expect(on.interactions['light-on']?.enabled).toBe(true);
      given([added(lightOn)]).when({ type: 'EnableInteraction', data: { id: 'light-on' } }).thenNothingHappened();
    });

    it('checks conflicts again on enable: a disabled half of a flicker pair stays off unless forced', () => {
      given([added(lightOn), disabledOff]).when({ type: 'EnableInteraction', data: { id: 'light-off' } }).thenRejects('ERR_INTERACTION_CONFLICT', 'flicker (light-off, light-on)');
      given([added(lightOn), disabledOff]).when({ type: 'EnableInteraction', data: { id: 'light-off', force: true } }).then([
        { type: 'InteractionEnabled', data: { id: 'light-off', forcedConflicts: [expect.objectContaining({ kind: 'flicker', interactions: ['light-off', 'light-on'] })], at: NOW } },
      ]);
    });

    it('refuses unknown ids', () => {
      given([]).when({ type: 'EnableInteraction', data: { id: 'x' } }).thenRejects('ERR_INTERACTION_NOT_FOUND', 'no interaction x');
      given([]).when({ type: 'DisableInteraction', data: { id: 'x' } }).thenRejects('ERR_INTERACTION_NOT_FOUND', 'no interaction x');
    });
  });

  describe('RecordFiring', () => {
    const firing = { interactionId: 'light-on', readingValue: 7, readingAt: '2024-05-01T11:59:59.900+00:00', actuatedAt: '2024-05-01T11:59:59.950Z', latencyMs: 50 };

    it('records a firing with its latency, times normalised, and leaves the table alone', () => {
      const before = given([added(lightOn)]).when({ type: 'DisableInteraction', data: { id: 'light-on' } }).then([{ type: 'InteractionDisabled', data: { id: 'light-on', at: NOW } }]);
      const after = given([added(lightOn)]).when({ type: 'RecordFiring', data: firing }).then([
        { type: 'FiringRecorded', data: { ...firing, readingAt: '2024-05-01T11:59:59.900Z', at: NOW } },
      ]);
      expect(after.interactions['light-on']?.version).toBe(1);
      expect(before.interactions['light-on']?.version).toBe(2);
    });

    it('refuses a firing of an unknown interaction', () => {
      given([]).when({ type: 'RecordFiring', data: firing }).thenRejects('ERR_INTERACTION_NOT_FOUND', 'no interaction light-on');
    });

    it.each<[string, Record<string, unknown>, string, string]>([
      ['a non-finite reading', { readingValue: Number.NaN }, 'ERR_INVALID_COMMAND', 'field readingValue'],
      ['a reading time without a zone', { readingAt: '2024-05-01T11:59:59' }, 'ERR_INVALID_TIMESTAMP', 'field readingAt'],
      ['a missing actuation time', { actuatedAt: undefined }, 'ERR_INVALID_TIMESTAMP', 'field actuatedAt'],
      ['a negative latency', { latencyMs: -1 }, 'ERR_INVALID_COMMAND', 'field latencyMs must be at least 0'],
      ['an absurd latency', { latencyMs: 1e12 }, 'ERR_INVALID_COMMAND', 'field latencyMs must be at most'],
    ])('refuses %s', (_what, change, code, message) => {
      given([added(lightOn)]).whenRaw('RecordFiring', { ...firing, ...change }).thenRejects(code, message);
    });
  });

  it('refuses data that is not an object', () => {
    given([]).whenRaw('AddInteraction', 'motion > 5').thenRejects('ERR_INVALID_COMMAND', 'field data');
  });
});
