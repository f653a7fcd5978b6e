/** MQTT devices through nats-server's MQTT listener: routes, the bridge, server config. */
export { startMqttBridge, type MqttBridge, type MqttBridgeDeps } from './bridge.js';
export type { MqttBridgeStats } from './stats.js';
export { defaultRoutes, type InboundRoute, type OutboundRoute, type RouteTable, type Source, type SourceSpec, type ValueType } from './routes.js';
export { compileRoutes, loadRoutes, mergeRoutes, type RoutesFile } from './routeTable.js';
export { loadMqttDevices, mqttDeviceUsers, mqttServerConfig, validateDevices, type MqttDevice, type MqttServerConfigOptions } from './serverConfig.js';
export { embeddedMqttConfig, resolveMqttSettings, EMBEDDED_SERVER_NAME, type MqttInput, type MqttSettings } from './settings.js';
export { BRIDGE_DURABLE, MQTT_MSGS_STREAM } from './natsMqtt.js';
export * from './errors.js';
export { createMqttBridgeSlot, type MqttBridgeSlot } from './singleton.js';
