/**
 * What a new user should look at once the demo runs (also the README's demo section): one line
 * per system, each a curl against the API.
 */
export function demoGuide(base: string, dataDir: string): string {
  return `
The demo is running: a control plane and 7 simulated edge workers (separate processes, logs in ${dataDir}/logs).
Everything below is live; run the lines again to see values move. Ctrl-C stops it all cleanly.

  # The whole fleet at once: nodes, reactors → devices, gateways → dependents, plugs, blocks
  curl -s ${base}/v1/system

  # ECP: motion on ecp-node-a switches the light on ecp-node-b (motion > 5 → 1, <= 5 → 0; every 15 s)
  curl -s ${base}/v1/actors/sensor/motion-1
  curl -s ${base}/v1/actors/sensor/light-1              # desired → confirmed with the PCA9685's read-back
  curl -s ${base}/v1/interactions/motion-light-on/firings  # each firing with its latency
  curl -s -X POST ${base}/v1/actors/sensor/motion-1/commands -H 'content-type: application/json' \\
       -d '{"type":"SetValue","data":{"value":1}}'      # refused: 422 ERR_SENSOR_READ_ONLY

  # Reactor: the I2C bus scan (TMP102, BME280, ADS1115, MCP23017) and every channel's last value
  curl -s ${base}/v1/actors/reactor/reactor-1
  curl -s ${base}/v1/actors/sensor/ambient:humidity
  curl -s -X POST ${base}/v1/actors/sensor/io:gpb0/commands -H 'content-type: application/json' \\
       -d '{"type":"SetValue","data":{"value":true}}'   # an MCP23017 output pin, confirmed by read-back

  # Gateway (edge-node-manager): dependents over BLE, one firmware update in progress
  curl -s ${base}/v1/gateways/gateway-1/enm/status
  curl -s ${base}/v1/gateways/gateway-1/devices
  curl -s ${base}/v1/gateways/gateway-1/devices/d00000000001/update   # percent climbs to 100

  # Brewblox: the master block (written by the simulated Spark) and its translated slave
  curl -s ${base}/v1/blocks/spark-master/master-sensor
  curl -s ${base}/v1/blocks/spark-slave/dummy-sensor     # targetvalue and nested/target/value follow the master

  # Paddy smart plugs (alice's and bob's): power every 2 s from Modbus meters, kWh, switching
  curl -s ${base}/v1/actors/daemon/plug-1
  curl -s "${base}/v1/daemons/plug-1/energy?unit=minute"
  curl -s -X POST ${base}/v1/daemons/plug-2/power -H 'content-type: application/json' -d '{"on":false}'   # watts drop to 0

  # Live: every event and system-view change as it happens
  curl -sN "${base}/v1/stream?kind=sensor"
`;
}
