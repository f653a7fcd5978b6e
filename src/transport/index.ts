export * from './subjects.js';
export { connectNats, type NatsConnectOptions } from './natsConnection.js';
export { ensureJetStream, type JetStreamLayout } from './jetstreamSetup.js';
export { createJetStreamPublisher, PublishFailedError, type JetStreamPublisher, type PubAck } from './jetstreamPublisher.js';
export { createCommandBus, type CommandBus, type OutgoingCommand, type SendOptions } from './commandBus.js';
export { startRelay, type Relay, type RelayOptions } from './relay.js';
export { startNatsServer, freePort, type NatsServerHandle, type NatsServerOptions } from './natsServer.js';
