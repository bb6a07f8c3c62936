#!/usr/bin/env node
// MQTT.js over MQTT 5 against the mock broker, for the broker's own test (MqttJsV5BrokerTest): two members of one
// shared subscription and a publisher that sends a burst past AWS's 100 publishes a second. Prints one JSON line:
// the CONNACK properties, what each member received, and the reason codes of the publisher's PUBACKs.
'use strict';
const fs = require('fs');
const mqtt = require('mqtt');

const [host, port, serverName, ca, cert, key, prefix] = process.argv.slice(2);
const base = {
  protocol: 'mqtts', host, port: Number(port), servername: serverName, ca: fs.readFileSync(ca),
  cert: fs.readFileSync(cert), key: fs.readFileSync(key), protocolVersion: 5, reconnectPeriod: 0,
  connectTimeout: 10000, rejectUnauthorized: true, clean: true, keepalive: 60,
};
const timer = setTimeout(() => { process.stderr.write('TIMEOUT no result within 20 s\n'); process.exit(1); }, 20000);
const connect = (clientId) => new Promise((resolve, reject) => {
  const client = mqtt.connect({ ...base, clientId });
  client.once('connect', (connack) => resolve({ client, connack }));
  client.once('error', reject);
});
const subscribe = (client, filter) => new Promise((resolve, reject) =>
  client.subscribe(filter, { qos: 1 }, (error, granted) => (error ? reject(error) : resolve(granted))));

(async () => {
  const a = await connect(`${prefix}-a`);
  const b = await connect(`${prefix}-b`);
  const received = { a: [], b: [] };
  a.client.on('message', (topic, payload) => received.a.push(payload.toString()));
  b.client.on('message', (topic, payload) => received.b.push(payload.toString()));
  const granted = [await subscribe(a.client, `$share/${prefix}/work/#`), await subscribe(b.client, `$share/${prefix}/work/#`)];
  const publisher = await connect(`${prefix}-pub`);
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve, reject) => publisher.client.publish(`work/${i}`, `job ${i}`, { qos: 1 },
      (error) => (error ? reject(error) : resolve())));
  }
  // A burst past 100 publishes a second: QoS 1, so each gets a PUBACK with its reason code.
  const reasonCodes = {};
  publisher.client.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback') reasonCodes[packet.reasonCode || 0] = (reasonCodes[packet.reasonCode || 0] || 0) + 1;
  });
  await Promise.all(Array.from({ length: 120 }, (_, i) => new Promise((resolve) =>
    publisher.client.publish(`burst/${i}`, `b ${i}`, { qos: 1 }, () => resolve()))));
  await new Promise((resolve) => setTimeout(resolve, 500));
  process.stdout.write(JSON.stringify({ connack: a.connack.properties, granted, received, reasonCodes }) + '\n');
  clearTimeout(timer);
  [a, b, publisher].forEach(({ client }) => client.end(true));
  process.exit(0);
})().catch((error) => { process.stderr.write(`MQTT_ERROR ${error.message}\n`); process.exit(1); });
