import { EdgeplaneError } from '../shared/errors.js';

/**
 * What the MQTT bridge refuses. A message refused here is counted under its code, logged with
 * its topic and dropped: it never becomes a command, so it can never become an event.
 */
export class MqttConfigError extends EdgeplaneError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super('ERR_MQTT_CONFIG', message, details, cause);
  }
}

/** No inbound route matches the topic. */
export class MqttUnknownTopicError extends EdgeplaneError {
  constructor(readonly topic: string) {
    super('ERR_MQTT_UNKNOWN_TOPIC', `no route for MQTT topic ${topic}`, { topic });
  }
}

/** The payload is larger than the route allows (before anything parses it). */
export class MqttPayloadTooLargeError extends EdgeplaneError {
  constructor(readonly topic: string, size: number, max: number) {
    super('ERR_MQTT_PAYLOAD_TOO_LARGE', `payload on ${topic} is ${size} bytes, more than the ${max} allowed`, { topic, size, max });
  }
}

/** The payload does not give what the route maps (wrong type, missing field, unknown value). */
export class MqttBadPayloadError extends EdgeplaneError {
  constructor(readonly topic: string, problem: string, details: Record<string, unknown> = {}) {
    super('ERR_MQTT_BAD_PAYLOAD', `payload on ${topic}: ${problem}`, { topic, ...details });
  }
}

/** A topic level that becomes an actor id is not id-shaped (letters, digits, `_ - : @`). */
export class MqttBadTopicIdError extends EdgeplaneError {
  constructor(readonly topic: string, value: string, cause?: unknown) {
    super('ERR_MQTT_BAD_TOPIC_ID', `topic ${topic} names ${JSON.stringify(value)}, which is not a valid actor id`, { topic, value }, cause);
  }
}
