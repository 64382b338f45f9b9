/**
 * `bastion-temporal/native` with the real official worker (its Rust Core) against the dev
 * server over mTLS: the watched client certificate files are rotated under load (one
 * rotation to a certificate of a second CA the server already trusts), and invalid pairs
 * written to the files are refused with their codes while work continues.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { Connection, Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { DevServer } from '../../src/testing';
import { connectNative, type NativeConnectionManager, type NativeRefusalEvent, type NativeRotationEvent } from '../../native';
import { installQuietRuntime, workflowBundle } from '../helpers/official-env';
import { issueCertificate, makeTestPki, removeTestPki, type TestCert, type TestPki } from '../helpers/certs';
import { timed, withTimeout } from '../helpers/wait';
import { pemBodyLines } from '../helpers/secret-scan';
import * as wf from '../fixtures/workflows';

const test = suite('native: rotation with the official worker');
const TASK_QUEUE = 'native-rotation';

let pki: TestPki;
let server: DevServer;
let native: NativeConnectionManager;
let clientConnection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let secretsDir: string;
let version = 0;
const executions = new Map<string, number>();
const logLines: string[] = [];
const rotations: NativeRotationEvent[] = [];
const refusals: NativeRefusalEvent[] = [];
const keysWritten: string[] = [];

const logger = {
  info: (message: string, meta?: object) => logLines.push(`INFO ${message} ${JSON.stringify(meta ?? {})}`),
  warn: (message: string, meta?: object) => logLines.push(`WARN ${message} ${JSON.stringify(meta ?? {})}`),
  error: (message: string, meta?: object) => logLines.push(`ERROR ${message} ${JSON.stringify(meta ?? {})}`),
};

/** Writes a pair the way a Kubernetes secret volume does: a new folder, then the `..data` symlink swapped. */
function publish(crt: string, key: string): void {
  version++;
  keysWritten.push(key);
  const folder = `..v${version}`;
  fs.mkdirSync(path.join(secretsDir, folder));
  fs.writeFileSync(path.join(secretsDir, folder, 'tls.crt'), crt);
  fs.writeFileSync(path.join(secretsDir, folder, 'tls.key'), key, { mode: 0o600 });
  fs.symlinkSync(folder, path.join(secretsDir, '..data_tmp'));
  fs.renameSync(path.join(secretsDir, '..data_tmp'), path.join(secretsDir, '..data'));
}

function newClientCert(name: string, issuer: TestCert, extra: { notBefore?: Date; notAfter?: Date } = {}): TestCert {
  return issueCertificate(pki.dir, name, { cn: name, kind: 'client', issuer, ...extra });
}

async function rotateTo(cert: TestCert): Promise<NativeRotationEvent> {
  const next = once(native, 'rotation') as Promise<[NativeRotationEvent]>;
  publish(cert.cert, cert.key);
  const [event] = await withTimeout(15_000, next, `the rotation to ${cert.certPath}`);
  return event;
}

async function runBatch(from: number, count: number): Promise<Array<Promise<string>>> {
  const handles = [];
  for (let i = from; i < from + count; i++) {
    handles.push(client.workflow.start(wf.greet, { taskQueue: TASK_QUEUE, workflowId: `native-rot-${i}`, args: [`n${i}`] }));
  }
  return (await Promise.all(handles)).map((h) => h.result());
}

test.before(async () => {
  installQuietRuntime();
  pki = await makeTestPki();
  server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert + pki.otherCa.cert } });
  secretsDir = path.join(pki.dir, 'secret-volume');
  fs.mkdirSync(secretsDir);
  publish(pki.client.cert, pki.client.key);
  fs.symlinkSync('..data/tls.crt', path.join(secretsDir, 'tls.crt'));
  fs.symlinkSync('..data/tls.key', path.join(secretsDir, 'tls.key'));
  native = await connectNative({
    address: server.address,
    tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost' },
    // Polling is slow: the folder watch (the `..data` swap) does the work.
    watchCertificateFiles: { crt: path.join(secretsDir, 'tls.crt'), key: path.join(secretsDir, 'tls.key'), pollIntervalMs: 60_000, settleMs: 20 },
    // Short, so replaced connections are closed while workflows still run on the new ones.
    closeGracePeriod: '300ms',
    logger,
  });
  native.on('rotation', (e) => rotations.push(e));
  native.on('refused', (e) => refusals.push(e));
  clientConnection = await Connection.connect({
    address: server.address,
    tls: {
      serverRootCACertificate: Buffer.from(pki.ca.cert),
      serverNameOverride: 'localhost',
      clientCertPair: { crt: Buffer.from(pki.client.cert), key: Buffer.from(pki.client.key) },
    },
  });
  client = new Client({ connection: clientConnection });
  worker = await Worker.create({
    connection: native.connection,
    namespace: native.namespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: {
      async greet(name: string): Promise<string> {
        executions.set(name, (executions.get(name) ?? 0) + 1);
        return `Hello, ${name}!`;
      },
    },
    shutdownGraceTime: '1s',
  });
  native.attach(worker);
  running = worker.run();
});

test.after(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await native?.close();
  await clientConnection?.close();
  await server?.close();
  if (pki) removeTestPki(pki);
});

test(
  '200 workflows with activities complete while the watched files are rotated 3 times (once to a second CA); no activity lost or repeated',
  timed(90_000, async () => {
    const results: Array<Promise<string>> = [];
    const second = newClientCert('worker-rot-1', pki.ca);
    const fromOtherCa = newClientCert('worker-rot-2', pki.otherCa);
    const third = newClientCert('worker-rot-3', pki.ca);
    results.push(...(await runBatch(0, 70)));
    const e1 = await rotateTo(second);
    results.push(...(await runBatch(70, 70)));
    const e2 = await rotateTo(fromOtherCa);
    results.push(...(await runBatch(140, 60)));
    const e3 = await rotateTo(third);
    results.push(...(await runBatch(200, 10)));
    const values = await withTimeout(60_000, Promise.all(results), 'all workflows');

    assert.is(values.length, 210);
    values.forEach((v, i) => assert.is(v, `Hello, n${i}!`));
    for (let i = 0; i < 210; i++) assert.is(executions.get(`n${i}`), 1, `activity n${i} ran exactly once`);
    assert.is(native.rotationCount, 3);
    assert.equal(
      [e1, e2, e3].map((e) => [e.rotationCount, e.source, e.certificate?.subject.includes(`worker-rot-${e.rotationCount}`), e.movedWorkers]),
      [
        [1, 'watcher', true, 1],
        [2, 'watcher', true, 1],
        [3, 'watcher', true, 1],
      ],
    );
    assert.match(e2.certificate!.issuer, 'Some Other CA');
    for (const e of [e1, e2, e3]) assert.ok(e.swapMs >= 0 && e.connectMs > 0 && e.durationMs >= e.swapMs, 'timings are reported');
    assert.is(worker.connection, native.connection, 'the worker runs on the connection in force');
    assert.match(native.tlsInfo()!.subject, 'worker-rot-3');
    assert.is(refusals.length, 0);
    // Replaced connections were closed after their grace: no worker still held one.
    assert.not.ok(
      logLines.some((l) => l.includes('could not be moved') || l.includes('still used by a worker')),
      logLines.join('\n'),
    );
  }),
);

test(
  'invalid pairs written to the watched files (key of another certificate, expired, a CA certificate) are refused with their codes; work continues; the next good pair is taken',
  timed(60_000, async () => {
    const before = native.rotationCount;
    const fingerprint = native.tlsInfo()!.fingerprint256;
    const other = newClientCert('worker-other-key', pki.ca);
    const expired = newClientCert('worker-expired', pki.ca, { notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const cases: Array<[string, string, string]> = [
      [newClientCert('worker-mismatch', pki.ca).cert, other.key, 'KEY_MISMATCH'],
      [expired.cert, expired.key, 'EXPIRED'],
      [pki.otherCa.cert, pki.otherCa.key, 'NOT_A_LEAF'],
    ];
    let n = 0;
    for (const [crt, key, code] of cases) {
      const refused = once(native, 'refused') as Promise<[NativeRefusalEvent]>;
      publish(crt, key);
      const [event] = await withTimeout(15_000, refused, `the refusal of ${code}`);
      assert.is(event.source, 'watcher');
      assert.is(event.error.code, 'ERR_TLS_ROTATION_REFUSED');
      assert.ok(
        event.problems.some((p) => p.code === code),
        `${code} among ${event.problems.map((p) => p.code).join(', ')}`,
      );
      assert.is(native.tlsInfo()!.fingerprint256, fingerprint, 'the previous pair stays in force');
      const id = `native-refused-${n++}`;
      assert.is(await client.workflow.execute(wf.greet, { taskQueue: TASK_QUEUE, workflowId: id, args: [id] }), `Hello, ${id}!`);
    }
    assert.is(native.rotationCount, before, 'nothing was rotated in');
    const good = newClientCert('worker-good-again', pki.otherCa);
    const event = await rotateTo(good);
    assert.is(event.rotationCount, before + 1);
    assert.match(native.tlsInfo()!.subject, 'worker-good-again');
    assert.is(await client.workflow.execute(wf.greet, { taskQueue: TASK_QUEUE, workflowId: 'native-after-good', args: ['after'] }), 'Hello, after!');
    const warnings = logLines.filter((l) => l.startsWith('WARN TLS rotation refused'));
    assert.ok(warnings.length >= 3, 'each refusal is a WARN line');
    for (const code of ['KEY_MISMATCH', 'EXPIRED', 'NOT_A_LEAF'])
      assert.ok(
        warnings.some((l) => l.includes(code)),
        `a WARN line names ${code}`,
      );
  }),
);

test('no log line holds key material', () => {
  const all = logLines.join('\n');
  assert.not.match(all, 'PRIVATE KEY');
  for (const key of keysWritten) for (const line of pemBodyLines(key)) assert.not.ok(all.includes(line), 'a line of a private key was logged');
  assert.ok(rotations.length >= 4 && refusals.length >= 3);
});

test.run();
