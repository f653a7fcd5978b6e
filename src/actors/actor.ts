import type { AppendResult, EventData, EventStore, Fence, RecordedEvent } from '../eventstore/eventStore.js';
import type { Snapshot, SnapshotStore } from '../eventstore/snapshotStore.js';
import {
  DeciderFailedError,
  DuplicateEventIdError,
  FencedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
  NotPartitionOwnerError,
  isDomainRejection,
  isEdgeplaneError,
  toErrorBody,
} from '../shared/errors.js';
import { deriveEventId, streamName } from '../shared/ids.js';
import { partitionOf } from '../shared/partition.js';
import type { Logger } from '../shared/logger.js';
import type { CommandRequest, CommandResult } from './commandEnvelope.js';
import type { AnyDecider, Command } from './decider.js';

export interface ActorDeps {
  store: EventStore;
  snapshots: SnapshotStore | undefined;
  snapshotEvery: number;
  logger: Logger;
  now: () => Date;
  /** Adds what a command's decider needs from elsewhere, in mailbox order, just before deciding. */
  enrich?: (kind: string, id: string, request: CommandRequest) => CommandRequest | Promise<CommandRequest>;
  /**
   * The partition fence this actor's appends carry: undefined when the host is not partitioned
   * (every actor is local), null when this process no longer holds the actor's partition.
   */
  partitionFence?: (kind: string, id: string) => Fence | null | undefined;
  partitions?: number;
  /** Told when the store refused a partition fence: the partition has a newer holder. */
  onPartitionFenced?: (err: FencedError) => void;
  metrics: HostMetrics;
}

/** Counters the host keeps for /metrics. */
export interface HostMetrics {
  commands: number;
  rejections: number;
  appends: number;
  eventsAppended: number;
  appendSeconds: number;
  /** Appends refused because a newer leader or partition holder exists. */
  fenced: number;
}

interface Pending {
  request: CommandRequest;
  /** False when nobody will read the answer's events (no reply subject): skip building them. */
  withEvents: boolean;
  resolve: (r: CommandResult) => void;
}

const isPartitionFence = (e: FencedError) => e.key.startsWith('partition.');

/** Commands remembered per actor so a redelivery or a client retry gets the original answer. */
const RECENT_COMMANDS = 1024;
const MAX_CONFLICT_RETRIES = 20;
const SNAPSHOT_RECENT_COMMANDS = 128;

/**
 * One actor: its mailbox, cached state and revision. Commands run strictly one after another;
 * everything waiting in the mailbox when a turn starts is decided in sequence against the
 * evolving state and stored in one append with the expected revision.
 */
export class Actor {
  readonly stream: string;
  private state: unknown;
  private revision = -1;
  private loaded = false;
  private snapshotRevision = -1;
  private readonly recent = new Map<string, [number, number]>();
  private readonly mailbox: Pending[] = [];
  private running = false;
  lastActive = 0;

  constructor(
    readonly kind: string,
    readonly id: string,
    private readonly decider: AnyDecider,
    private readonly deps: ActorDeps,
  ) {
    this.stream = streamName(kind, id);
  }

  get idle(): boolean {
    return !this.running && this.mailbox.length === 0;
  }

  /** Current state and revision (for tests and queries). */
  async current(): Promise<{ state: unknown; revision: number }> {
    if (!this.loaded) await this.rehydrate();
    return { state: this.state, revision: this.revision };
  }

  tell(request: CommandRequest, withEvents = true): Promise<CommandResult> {
    this.deps.metrics.commands++;
    return new Promise((resolve) => {
      this.mailbox.push({ request, withEvents, resolve });
      this.lastActive = Date.now();
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.mailbox.length > 0) {
        // Emptied in place, never replaced: an actor's mailbox waits for its next command long
        // enough to reach the old generation, and a discarded old mailbox would keep the turn's
        // commands, answers and events alive through every young collection until a full one
        // (it doubled the main thread's scavenge pauses at 1,000 actors).
        const turn = this.mailbox.splice(0);
        try {
          if (this.deps.enrich) {
            for (const p of turn) {
              // Most commands need nothing added: no await (and no promise) for those.
              const enriched = this.deps.enrich(this.kind, this.id, p.request);
              p.request = enriched instanceof Promise ? await enriched : enriched;
            }
          }
          await this.runTurn(turn);
        } catch (err) {
          if (err instanceof DuplicateEventIdError || (err instanceof FencedError && !isPartitionFence(err))) {
            // A command in the turn was applied before, longer ago than the actor remembers, or
            // was sent by a replaced leader: run the turn's commands one by one so only that one
            // is answered as a duplicate or refused.
            this.loaded = false;
            await this.runSingly(turn);
            continue;
          }
          if (err instanceof FencedError) {
            this.deps.metrics.fenced++;
            this.deps.onPartitionFenced?.(err);
          }
          // The store failed (not a domain outcome), or the partition moved: answer every command in
          // the turn as retryable, forget the cached state so the next turn starts from what is stored.
          if (err instanceof NotPartitionOwnerError || err instanceof FencedError) this.deps.logger.debug({ err, stream: this.stream }, 'actor turn handed over');
          else this.deps.logger.error({ err, stream: this.stream }, 'actor turn failed');
          this.loaded = false;
          for (const p of turn) p.resolve({ ok: false, commandId: p.request.id, error: toErrorBody(err), retryable: true });
        }
      }
    } finally {
      this.running = false;
      this.lastActive = Date.now();
    }
  }

  private async runSingly(turn: Pending[]): Promise<void> {
    for (const p of turn) {
      try {
        await this.runTurn([p]);
      } catch (err) {
        this.loaded = false;
        if (err instanceof DuplicateEventIdError) {
          const at = err.storedAt?.stream === this.stream ? err.storedAt.revision : undefined;
          const events = at === undefined ? [] : await this.deps.store.readStream(this.stream, { fromRevision: at }).then((es) => es.filter((e) => e.metadata.commandId === p.request.id));
          const last = events.at(-1);
          p.resolve({ ok: true, commandId: p.request.id, revision: last?.revision ?? -1, position: last?.position ?? -1, events, duplicate: true });
        } else if (err instanceof FencedError && !isPartitionFence(err)) {
          this.deps.metrics.fenced++;
          this.deps.logger.warn({ stream: this.stream, command: p.request.type, fence: err.key, token: err.token, current: err.current }, 'command from a replaced singleton refused');
          p.resolve({ ok: false, commandId: p.request.id, error: toErrorBody(err) });
        } else {
          p.resolve({ ok: false, commandId: p.request.id, error: toErrorBody(err), retryable: true });
        }
      }
    }
  }

  private async runTurn(turn: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (!this.loaded) await this.rehydrate();
      const outcome = this.decideAll(turn);
      if (outcome.events.length === 0) {
        await this.answer(turn, outcome.results, [], undefined);
        return;
      }
      try {
        const started = performance.now();
        const appended = await this.deps.store.append(this.stream, outcome.events, this.revision === -1 ? 'no_stream' : this.revision, { fences: outcome.fences });
        const m = this.deps.metrics;
        m.appends++;
        m.eventsAppended += outcome.events.length;
        m.appendSeconds += (performance.now() - started) / 1000;
        this.state = outcome.state;
        this.revision = appended.nextRevision;
        for (const [commandId, range] of outcome.ranges) this.remember(commandId, range);
        await this.answer(turn, outcome.results, outcome.events, appended);
        this.maybeSnapshot();
        return;
      } catch (err) {
        // Another writer got there first: reload and decide again against what it wrote.
        if (err instanceof WrongExpectedRevisionError && attempt < MAX_CONFLICT_RETRIES) {
          this.loaded = false;
          continue;
        }
        throw err;
      }
    }
  }

  private decideAll(turn: Pending[]) {
    let state = this.state;
    let revision = this.revision;
    const events: EventData[] = [];
    const ranges = new Map<string, [number, number]>();
    const results: Array<CommandResult | { pending: [number, number] } | { replay: [number, number] }> = [];
    const timestamp = this.deps.now().toISOString();
    const partitionFence = this.deps.partitionFence?.(this.kind, this.id);
    if (partitionFence === null) throw new NotPartitionOwnerError(partitionOf(this.kind, this.id, this.deps.partitions));
    // The oldest token per key: if any command's sender was replaced, the append is refused and
    // the turn is redone one command at a time, so only that command is refused.
    const fences = new Map<string, number>();
    if (partitionFence) fences.set(partitionFence.key, partitionFence.token);
    for (const { request } of turn) {
      const seen = this.recent.get(request.id) ?? ranges.get(request.id);
      if (seen) {
        results.push({ replay: seen });
        continue;
      }
      if (request.expectedRevision !== undefined && request.expectedRevision !== revision) {
        results.push({ ok: false, commandId: request.id, error: new WrongExpectedRevisionError(this.stream, request.expectedRevision, revision === -1 ? 'no_stream' : revision).toJSON() });
        continue;
      }
      const command: Command = {
        type: request.type,
        data: request.data,
        metadata: { commandId: request.id, timestamp, kind: this.kind, id: this.id, correlationId: request.correlationId, causationId: request.causationId },
      };
      let produced: Array<{ type: string; data: unknown }>;
      let next = state;
      try {
        produced = this.decider.decide(command, state);
        for (const e of produced) next = this.decider.evolve(next, e);
      } catch (err) {
        const rejected = isDomainRejection(err) || isEdgeplaneError(err);
        this.deps.metrics.rejections++;
        const error = rejected ? err : new DeciderFailedError(this.kind, request.type, err);
        if (!rejected) this.deps.logger.error({ err, stream: this.stream, command: request.type }, 'decider failed');
        results.push({ ok: false, commandId: request.id, error: toErrorBody(error) });
        continue;
      }
      if (produced.length === 0) {
        results.push({ ok: true, commandId: request.id, revision, position: -1, events: [] });
        continue;
      }
      state = next;
      const first = revision + 1;
      let recorded: Record<string, number> | undefined;
      if (partitionFence || request.fences) {
        recorded = {};
        if (partitionFence) recorded[partitionFence.key] = partitionFence.token;
        for (const f of request.fences ?? []) {
          recorded[f.key] = f.token;
          fences.set(f.key, Math.min(fences.get(f.key) ?? f.token, f.token));
        }
      }
      produced.forEach((e, i) => {
        const metadata: EventData['metadata'] = {
          commandId: request.id,
          correlationId: request.correlationId ?? request.id,
          causationId: request.causationId ?? request.id,
          timestamp,
        };
        // The tokens it was written under, so an audit can show no two holders' writes interleave.
        if (recorded) metadata.fences = recorded;
        events.push({ id: deriveEventId(this.kind, this.id, request.id, i), type: e.type, data: e.data, metadata });
      });
      revision += produced.length;
      ranges.set(request.id, [first, revision]);
      results.push({ pending: [first, revision] });
    }
    return { state, events, ranges, results, fences: [...fences].map(([key, token]) => ({ key, token })) };
  }

  /** Resolves every command of the turn: new events as appended, replays read back from the store. */
  private async answer(
    turn: Pending[],
    results: ReturnType<Actor['decideAll']>['results'],
    appendedEvents: EventData[],
    appended: AppendResult | undefined,
  ): Promise<void> {
    const firstRevision = appended ? appended.nextRevision - appendedEvents.length + 1 : 0;
    for (let i = 0; i < turn.length; i++) {
      const r = results[i]!;
      const commandId = turn[i]!.request.id;
      if ('pending' in r && !turn[i]!.withEvents) {
        const [, last] = r.pending;
        turn[i]!.resolve({ ok: true, commandId, revision: last, position: last === appended!.nextRevision ? appended!.position : -1, events: [] });
      } else if ('pending' in r) {
        const [first, last] = r.pending;
        const events = appendedEvents.slice(first - firstRevision, last - firstRevision + 1).map((e, k) => {
          const offset = first - firstRevision + k;
          const position = offset === appendedEvents.length - 1 ? appended!.position : appended!.firstPosition === undefined ? -1 : appended!.firstPosition + offset;
          return { ...e, stream: this.stream, revision: first + k, position };
        });
        turn[i]!.resolve({ ok: true, commandId, revision: last, position: events.at(-1)!.position, events });
      } else if ('replay' in r) {
        const [first, last] = r.replay;
        const events = await this.deps.store.readStream(this.stream, { fromRevision: first, limit: last - first + 1 });
        turn[i]!.resolve({ ok: true, commandId, revision: last, position: events.at(-1)?.position ?? -1, events, duplicate: true });
      } else {
        turn[i]!.resolve(r);
      }
    }
  }

  private remember(commandId: string, range: [number, number]): void {
    this.recent.set(commandId, range);
    if (this.recent.size > RECENT_COMMANDS) this.recent.delete(this.recent.keys().next().value as string);
  }

  private async rehydrate(): Promise<void> {
    let state = this.decider.initialState();
    let revision = -1;
    this.recent.clear();
    const snap = this.deps.snapshots?.load(this.stream);
    if (snap && snap.version === this.decider.version) {
      state = snap.state;
      revision = snap.revision;
      for (const [commandId, first, last] of snap.recentCommands) this.remember(commandId, [first, last]);
    }
    let events: RecordedEvent[] = [];
    try {
      events = await this.deps.store.readStream(this.stream, { fromRevision: revision + 1 });
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
    }
    for (const e of events) {
      state = this.decider.evolve(state, e);
      revision = e.revision;
      const commandId = e.metadata.commandId;
      if (typeof commandId === 'string') {
        const range = this.recent.get(commandId);
        this.remember(commandId, range ? [range[0], e.revision] : [e.revision, e.revision]);
      }
    }
    this.state = state;
    this.revision = revision;
    this.snapshotRevision = snap && snap.version === this.decider.version ? snap.revision : -1;
    this.loaded = true;
  }

  private maybeSnapshot(): void {
    const { snapshots, snapshotEvery } = this.deps;
    if (!snapshots || snapshotEvery <= 0 || this.revision - this.snapshotRevision < snapshotEvery) return;
    const snapshot: Snapshot = {
      revision: this.revision,
      version: this.decider.version,
      state: this.state,
      // The newest commands only: enough to recognise a redelivery after a restart, small enough
      // that snapshotting a busy sensor stays cheap (older repeats are caught by the store).
      recentCommands: [...this.recent].slice(-SNAPSHOT_RECENT_COMMANDS).map(([c, [f, l]]) => [c, f, l]),
    };
    try {
      snapshots.save(this.stream, snapshot);
      this.snapshotRevision = this.revision;
    } catch (err) {
      this.deps.logger.warn({ err, stream: this.stream }, 'snapshot not saved (it is only a cache)');
    }
  }
}
