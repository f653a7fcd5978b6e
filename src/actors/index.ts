export type { AnyDecider, Command, CommandMetadata, Decider, DomainEvent } from './decider.js';
export { createRegistry, type DeciderRegistry } from './registry.js';
export { createActorHost, type ActorHost, type ActorHostOptions } from './actorHost.js';
export { parseCommandMessage, validateCommand, type CommandRequest, type CommandResult } from './commandEnvelope.js';
export { replayActor, type ReplayPoint, type ReplayResult } from './replay.js';
