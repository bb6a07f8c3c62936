#!/usr/bin/env node
// MQTT.js as a client under test, following the alpnlab process-driver contract (BoGo's shim):
// exit 0 on success, 1 with "TOKEN message" on stderr on failure, 89 when the action is unsupported.
'use strict';
const fs = require('fs');
const mqtt = require('mqtt');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  if (!process.argv[i].startsWith('--') || i + 1 >= process.argv.length) {
    fail('USAGE', `expected --name value pairs, got '${process.argv[i]}'`, 2);
  }
  args[process.argv[i].slice(2)] = process.argv[i + 1];
}

function fail(token, message, code = 1) {
  process.stderr.write(`${token} ${message}\n`);
  process.exit(code);
}

const action = args.action;
if (!['CONNECT', 'PUBLISH', 'SUBSCRIBE'].includes(action)) {
  process.stderr.write(`this shim does not stay connected or reconnect on its own (action ${action})\n`);
  process.exit(89);
}
const options = {
  protocol: 'mqtts',
  host: args.host,
  port: Number(args.port),
  // SNI is the endpoint name, given separately from the address: MQTT.js sends none for an IP host otherwise.
  servername: args['server-name'],
  ca: fs.readFileSync(args.ca),
  cert: fs.readFileSync(args.cert),
  key: fs.readFileSync(args.key),
  clientId: args['client-id'],
  keepalive: Number(args['keep-alive']),
  clean: args.clean !== '0',
  protocolVersion: 4,
  reconnectPeriod: 0,
  connectTimeout: Number(args['timeout-ms']),
  rejectUnauthorized: true,
};
if (args.alpn) {
  options.ALPNProtocols = args.alpn.split(',');
}
const timer = setTimeout(() => fail('TIMEOUT', `no result within ${args['timeout-ms']} ms`), Number(args['timeout-ms']));
const client = mqtt.connect(options);
let connected = false;
client.on('error', (error) => fail(error.code || 'MQTT_ERROR', error.message));
client.on('close', () => { if (!connected) fail('CONNECTION_CLOSED', 'closed before CONNACK'); });
client.on('connect', () => {
  connected = true;
  const done = () => client.end(false, {}, () => { clearTimeout(timer); process.exit(0); });
  const qos = Number(args.qos);
  if (action === 'CONNECT') {
    done();
  } else if (action === 'PUBLISH') {
    client.publish(args.topic, args.payload, { qos }, (error) => (error ? fail('PUBLISH_FAILED', error.message) : done()));
  } else {
    const expect = Number(args.expect || 0);
    let received = 0;
    client.on('message', (topic, payload) => {
      process.stdout.write(`${topic} ${payload.toString()}\n`);
      if (++received >= expect) done();
    });
    client.subscribe(args.topic, { qos }, (error) => {
      if (error) fail('SUBSCRIBE_FAILED', error.message);
      if (expect === 0) done();
    });
  }
});
