/**
 * `connection.setTlsConfig` against the real dev server with mutual TLS: a good pair
 * goes live without dropping calls, a long poll in flight moves to the new channel and
 * still receives its task, and every kind of bad material is refused with the old
 * settings left in force.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { Connection, type ConnectionOptions } from '../../src/index';
import { DevServer } from '../../src/testing';
import { issueCertificate, makeTestPki, removeTestPki, type TestCert, type TestPki } from '../helpers/certs';
import { waitFor, withTimeout } from '../helpers/wait';

const test = suite('connection: hot TLS rotation');
let pki: TestPki;
let server: DevServer;
const logs: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
const logger = {
  info: (message: string, meta?: Record<string, unknown>) => logs.push({ level: 'info', message, meta }),
  warn: (message: string, meta?: Record<string, unknown>) => logs.push({ level: 'warn', message, meta }),
  error: (message: string, meta?: Record<string, unknown>) => logs.push({ level: 'error', message, meta }),
};
let serial = 0;

test.before(async () => {
  pki = await makeTestPki();
  server = await DevServer.start({ tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
});

test.after(async () => {
  await server?.close();
  removeTestPki(pki);
});

function clientCert(options: { issuer?: TestCert; notBefore?: Date; notAfter?: Date; kind?: 'client' | 'server' | 'ca' } = {}): TestCert {
  const n = ++serial;
  return issueCertificate(pki.dir, `rot-${n}`, {
    cn: `worker-${n}`,
    kind: options.kind ?? 'client',
    issuer: options.issuer ?? pki.ca,
    keyRole: `rot-${n}`,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
  });
}

function options(pair: TestCert, extra: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return {
    address: server.address,
    tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost', clientCertPair: { crt: pair.cert, key: pair.key } },
    logger,
    connectTimeout: '5s',
    ...extra,
  };
}

function tls(pair: { cert: string; key: string }) {
  return { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost', clientCertPair: { crt: pair.cert, key: pair.key } };
}

function hasNoKey(text: string): boolean {
  return !/PRIVATE KEY-----/.test(text) && !/[A-Za-z0-9+/]{64}/.test(text);
}

test('a new pair goes live: tlsInfo changes, calls before, during and after succeed, and the rotation is logged', () =>
  withTimeout(30_000, async () => {
    const first = clientCert();
    const connection = await Connection.connect(options(first));
    try {
      const before = connection.tlsInfo()!;
      assert.match(before.subject, `CN=worker-${serial}`);
      const second = clientCert();
      // Ordinary calls in flight while the switch happens.
      const calls = Array.from({ length: 40 }, () => connection.workflowService.describeNamespace({ namespace: 'default' }));
      const result = await connection.setTlsConfig(tls(second));
      await Promise.all(calls);
      const after = connection.tlsInfo()!;
      assert.is.not(after.fingerprint256, before.fingerprint256);
      assert.is(result.certificate?.fingerprint256, after.fingerprint256);
      assert.is(connection.rotationCount, 1);
      await connection.workflowService.getSystemInfo({});
      const line = logs.find((l) => l.message === 'TLS settings rotated' && l.meta?.fingerprint256 === after.fingerprint256);
      assert.ok(line, 'the rotation is logged with the new fingerprint');
      assert.ok(hasNoKey(JSON.stringify(logs)));
    } finally {
      await connection.close();
    }
  }));

test('a long poll in flight moves to the new channel at once and still receives its task', () =>
  withTimeout(30_000, async () => {
    const connection = await Connection.connect(options(clientCert()));
    try {
      const taskQueue = `rot-poll-${randomUUID()}`;
      const poll = connection.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'rotation-test' });
      // The poll is in flight once the server has registered its poller.
      await waitFor(
        async () => {
          const d = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 } as never);
          return (d as { pollers?: Array<{ identity?: string }> }).pollers?.some((p) => p.identity === 'rotation-test');
        },
        10_000,
        'the server registered the long poll',
      );
      const result = await connection.setTlsConfig(tls(clientCert()));
      assert.is(result.movedLongPolls, 1);
      await connection.workflowService.startWorkflowExecution({
        namespace: 'default',
        workflowId: `wf-${randomUUID()}`,
        requestId: randomUUID(),
        workflowType: { name: 'w' },
        taskQueue: { name: taskQueue },
      });
      const task = (await poll) as { taskToken?: Uint8Array; workflowType?: { name?: string } };
      assert.ok(task.taskToken && task.taskToken.length > 0, 'the reissued poll got the task');
      assert.is(task.workflowType?.name, 'w');
    } finally {
      await connection.close();
    }
  }));

test('bad material is refused with a named problem and the old pair stays in force', () =>
  withTimeout(30_000, async () => {
    const good = clientCert();
    const connection = await Connection.connect(options(good));
    try {
      const before = connection.tlsInfo()!.fingerprint256;
      const other = clientCert();
      const expired = clientCert({ notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
      const future = clientCert({ notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 3 * 86_400_000) });
      const serverOnly = clientCert({ kind: 'server' });
      const foreign = clientCert({ issuer: pki.otherCa });
      const cases: Array<{ name: string; run: () => Promise<unknown>; expect: RegExp }> = [
        {
          name: 'key of another certificate',
          run: () => connection.setTlsConfig(tls({ cert: good.cert, key: other.key })),
          expect: /does not match the certificate's public key/,
        },
        { name: 'expired', run: () => connection.setTlsConfig(tls(expired)), expect: /expired on/ },
        { name: 'not yet valid', run: () => connection.setTlsConfig(tls(future)), expect: /not valid before/ },
        { name: 'server certificate as client', run: () => connection.setTlsConfig(tls(serverOnly)), expect: /lacks clientAuth/ },
        { name: 'CA certificate as client', run: () => connection.setTlsConfig(tls(pki.ca)), expect: /is a CA certificate \(CA:TRUE/ },
        { name: 'other CA, clientCa given', run: () => connection.setTlsConfig(tls(foreign), { clientCa: pki.ca.cert }), expect: /issued by CN=Some Other CA/ },
        { name: 'other CA, refused by the server', run: () => connection.setTlsConfig(tls(foreign)), expect: /A test call with the new settings failed/ },
        {
          name: 'garbage PEM',
          run: () => connection.setTlsConfig(tls({ cert: 'not a certificate', key: good.key })),
          expect: /could not be read|does not hold a PEM certificate/,
        },
      ];
      for (const c of cases) {
        const err = (await c.run().then(
          () => undefined,
          (e: unknown) => e,
        )) as (Error & { code?: string }) | undefined;
        assert.ok(err, `${c.name}: refused`);
        assert.is(err!.code, 'ERR_TLS_ROTATION_REFUSED', c.name);
        assert.match(err!.message, c.expect, `${c.name}: ${err!.message}`);
        assert.match(err!.message, /previous settings stay in force/);
        assert.ok(hasNoKey(err!.message), `${c.name}: no key material`);
        assert.is(connection.tlsInfo()!.fingerprint256, before, `${c.name}: old pair in force`);
        await connection.workflowService.getSystemInfo({});
      }
      assert.is(connection.rotationCount, 0);
      assert.ok(logs.some((l) => l.level === 'warn' && l.message.startsWith('TLS rotation refused')));
    } finally {
      await connection.close();
    }
  }));

test('plaintext connections and closed connections refuse rotation', () =>
  withTimeout(30_000, async () => {
    const plain = await DevServer.start();
    try {
      const connection = await Connection.connect({ address: plain.address, logger });
      const err = (await connection.setTlsConfig(tls(pki.client)).catch((e) => e)) as Error & { code?: string };
      assert.is(err.code, 'ERR_TLS_ROTATION_REFUSED');
      assert.match(err.message, /plaintext/);
      await connection.close();
      const closed = (await connection.setTlsConfig(tls(pki.client)).catch((e) => e)) as Error & { code?: string };
      assert.is(closed.code, 'ERR_CONNECTION_CLOSED');
    } finally {
      await plain.close();
    }
  }));

test('expiry warnings: a certificate inside the 7-day threshold warns at connect, with subject and date', () =>
  withTimeout(30_000, async () => {
    const soon = clientCert({ notAfter: new Date(Date.now() + 5 * 86_400_000) });
    const seen: string[] = [];
    const connection = await Connection.connect(
      options(soon, { logger: { ...logger, warn: (m: string, meta?: Record<string, unknown>) => seen.push(`${m} ${JSON.stringify(meta)}`) } }),
    );
    try {
      assert.is(seen.length, 1, seen.join('\n'));
      assert.match(seen[0]!, /expires in 4 day\(s\)|expires in 5 day\(s\)/);
      assert.match(seen[0]!, /"thresholdDays":7/);
      assert.match(seen[0]!, new RegExp(`worker-${serial}`));
      const quiet: string[] = [];
      const off = await Connection.connect(options(soon, { expiryWarningDays: [], logger: { ...logger, warn: (m: string) => quiet.push(m) } }));
      await off.close();
      assert.equal(quiet, []);
    } finally {
      await connection.close();
    }
  }));

test.run();
