/**
 * `npm start`: Bastion end to end on one machine, encrypted. Makes a CA and server and
 * client certificates, starts the embedded dev server with mutual TLS, runs a workflow
 * through a Bastion worker and client that share an EncryptionCodec (a key made now,
 * never printed), prints the input and result in clear on the client side, then shows
 * that the server's raw history (read without the codec) holds only ciphertext.
 */
import * as path from 'node:path';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { Worker } from '../../src/worker';
import { DevServer } from '../../src/testing';
import { BastionError } from '../../src/common/errors';
import { decodeUtf8, type Payload } from '../../src/converter';
import { createCertificateAuthority, issueCertificate } from '../../certs';
import { EncryptionCodec, KeyRing } from '../../codecs';
import * as activities from './activities';

const PAYLOAD_FIELDS: Record<string, (a: Record<string, any>) => Payload[] | undefined> = {
  workflowExecutionStartedEventAttributes: (a) => a.input?.payloads,
  activityTaskScheduledEventAttributes: (a) => a.input?.payloads,
  activityTaskCompletedEventAttributes: (a) => a.result?.payloads,
  workflowExecutionCompletedEventAttributes: (a) => a.result?.payloads,
};

/**
 * The dev server's port: `npm start -- --port 7300`, `PORT=7300 npm start`, or any free
 * port when neither is given.
 */
function demoPort(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  const given = i < 0 ? env.PORT : argv[i]!.includes('=') ? argv[i]!.slice('--port='.length) : argv[i + 1];
  if (given === undefined || given === '') return 0;
  const port = Number(given);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo: ${i < 0 ? 'PORT' : '--port'} must be a number from 0 to 65535, got "${given}".`);
    process.exit(2);
  }
  return port;
}

function hex(bytes: Uint8Array | null | undefined, n: number): string {
  return Buffer.from(bytes ?? [])
    .subarray(0, n)
    .toString('hex');
}

async function main(): Promise<void> {
  const started = Date.now();
  // The toolkit's defaults, as `tcld gen` makes them: an ECDSA P-384 CA, leaves on its key type.
  const ca = await createCertificateAuthority({ commonName: 'Bastion Demo CA', validityDays: 90 });
  const serverCert = await issueCertificate({
    ca,
    profile: 'server',
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validityDays: 60,
  });
  const clientCert = await issueCertificate({ ca, profile: 'client', commonName: 'bastion-demo-worker', validityDays: 60 });
  const server = await DevServer.start({
    port: demoPort(process.argv.slice(2), process.env),
    logLevel: 'warn',
    tls: { cert: Buffer.from(serverCert.certPem), key: Buffer.from(serverCert.keyPem), clientCa: Buffer.from(ca.certPem) },
  });
  console.log(`dev server listening on ${server.address} (mTLS: client certificates from "Bastion Demo CA" required)`);
  const connection = await Connection.connect({
    address: server.address,
    tls: {
      serverRootCACertificate: Buffer.from(ca.certPem),
      clientCertPair: { crt: Buffer.from(clientCert.certPem), key: Buffer.from(clientCert.keyPem) },
      serverNameOverride: 'localhost',
    },
  });
  // A fresh key for this run only; it never leaves this process.
  const codec = await EncryptionCodec.create({
    keyRing: new KeyRing({ active: 'demo-key', keys: { 'demo-key': KeyRing.generateKey() } }),
    bindToContext: true,
  });
  const dataConverter = { payloadCodecs: [codec] };
  const quiet = { debug: () => undefined, info: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
  const worker = await Worker.create({
    connection,
    taskQueue: 'demo',
    workflowsPath: path.join(__dirname, 'workflows.js'),
    activities,
    dataConverter,
    logger: quiet,
    shutdownSignals: [],
  });
  console.log(`worker ${worker.getState()} on task queue "demo", payloads encrypted with key "demo-key"`);
  const client = new Client({ connection, dataConverter });
  const name = 'Bastion';
  const workflowId = `demo-${Date.now()}`;
  const { result, events } = await worker.runUntil(async () => {
    const handle = await client.workflow.start('greeting', { taskQueue: 'demo', workflowId, args: [name] });
    console.log(`started workflow ${handle.workflowId} with input: "${name}"`);
    const r = await handle.result();
    // The raw history, as any client without the key sees it.
    const res = await connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
    return { result: r, events: (res.history?.events ?? []) as Array<Record<string, any>> };
  });
  console.log(`result (decoded by the client): ${result}`);
  console.log(`server history: ${events.length} events; what the server stores:`);
  const markers = [name, 'Hello'];
  const leaks: string[] = [];
  for (const e of events) {
    for (const [field, payloadsOf] of Object.entries(PAYLOAD_FIELDS)) {
      if (!e[field]) continue;
      for (const p of payloadsOf(e[field]) ?? []) {
        const encoding = p.metadata?.encoding ? decodeUtf8(p.metadata.encoding) : '?';
        console.log(`  ${field.replace('EventAttributes', '').padEnd(26)} encoding=${encoding} ciphertext=${hex(p.data, 12)}… (${p.data?.length ?? 0} bytes)`);
        const clear = Buffer.from(p.data ?? []).toString('latin1');
        for (const m of markers) if (clear.includes(m)) leaks.push(`${field}: "${m}"`);
      }
    }
  }
  if (leaks.length > 0) {
    console.error(`PLAINTEXT FOUND in the server's history: ${leaks.join(', ')}`);
    process.exitCode = 1;
  } else {
    console.log(`no plaintext in the server's history: "${name}" and "Hello" occur only on the client side`);
  }
  console.log(`worker ${worker.getState()} (${Date.now() - started} ms)`);
  await connection.close();
  await server.close();
}

main().catch((err) => {
  // Bastion's errors say what to do in one line (a busy port: EADDRINUSE); others keep their stack.
  console.error(err instanceof BastionError ? `demo: ${err.message.replace('`port`', '`--port` (or PORT)')}` : err);
  process.exitCode = 1;
});
