/**
 * Certificates rotate while work runs: 300 workflows with activities go through a
 * Bastion worker and client over mutual TLS; meanwhile the client certificate is
 * replaced five times through `watchCertificateFiles` and the dev server's certificate
 * twice. Every workflow completes, and every activity execution is explained by its
 * attempt number (none lost, none run twice for the same attempt). A rotation to an
 * invalid pair changes nothing and is reported. `Worker.create` refuses a connection
 * whose client certificate has expired.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watchCertificateFiles } from '../../certs';
import { Context } from '../../src/activity';
import { Client } from '../../src/client';
import { Connection } from '../../src/connection';
import { DevServer } from '../../src/testing';
import { Worker } from '../../src/worker';
import * as activities from '../fixtures/bastion-activities';
import { bastionBundle, quietLogger } from '../helpers/bastion-env';
import { issueCertificate, makeTestPki, removeTestPki, type TestCert, type TestPki } from '../helpers/certs';
import { timed, waitFor } from '../helpers/wait';

const test = suite('worker: certificate rotation under load');
let pki: TestPki;

test.before(async () => {
  pki = await makeTestPki();
});

test.after(() => removeTestPki(pki));

function replace(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

test(
  '300 workflows complete while the client certificate rotates 5 times and the server certificate twice',
  timed(150_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    const dir = fs.mkdtempSync(path.join(pki.dir, 'load-'));
    const crt = path.join(dir, 'tls.crt');
    const key = path.join(dir, 'tls.key');
    let serial = 0;
    const nextPair = (issuer = pki.ca): TestCert => {
      serial++;
      return issueCertificate(pki.dir, `load-${serial}`, { cn: `load-worker-${serial}`, kind: 'client', issuer, keyRole: `load-${serial}` });
    };
    const first = nextPair();
    fs.writeFileSync(crt, first.cert);
    fs.writeFileSync(key, first.key);
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) };
    const watcher = watchCertificateFiles({ crt, key, ca: pki.ca.certPath, pollIntervalMs: 500 });
    const connection = await Connection.connect({
      address: server.address,
      tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost', clientCertPair: watcher },
      logger,
    });
    // Every execution of every activity, by workflow and activity id, with its attempt number.
    const executions = new Map<string, number[]>();
    const counted = {
      ...activities,
      async greet(name: string): Promise<string> {
        const info = Context.current().info;
        const k = `${info.workflowExecution.workflowId}/${info.activityId}`;
        executions.set(k, [...(executions.get(k) ?? []), info.attempt]);
        await new Promise((r) => setTimeout(r, 5));
        return activities.greet(name);
      },
    };
    const worker = await Worker.create({
      connection,
      taskQueue: 'rotation-load',
      workflowBundle: await bastionBundle(),
      activities: counted,
      shutdownGraceTime: '2s',
      shutdownSignals: [],
      logger: quietLogger,
      maxConcurrentActivityTaskExecutions: 50,
    });
    const running = worker.run();
    const client = new Client({ connection });
    try {
      const total = 300;
      const started: Array<Promise<unknown>> = [];
      const expected = new Map<string, unknown>();
      let completed = 0;
      const rotations = (async () => {
        // Five client rotations through the files, two server rotations, one invalid pair,
        // spread over the run by progress (each after another sixth of the workflows completed).
        for (let i = 1; i <= 5; i++) {
          await waitFor(() => completed >= (i * total) / 6, 120_000, `${(i * total) / 6} workflows completed before rotation ${i}`);
          const pair = nextPair();
          replace(key, pair.key);
          replace(crt, pair.cert);
          await waitFor(() => connection.rotationCount >= i, 10_000, `client rotation ${i}`);
          if (i === 2 || i === 4) {
            const serverPair = issueCertificate(pki.dir, `load-server-${i}`, { cn: 'localhost', kind: 'server', issuer: pki.ca, keyRole: `load-server-${i}` });
            server.setTlsConfig({ cert: serverPair.cert, key: serverPair.key, clientCa: pki.ca.cert });
          }
          if (i === 3) {
            const before = connection.tlsInfo()!.fingerprint256;
            const foreign = nextPair(pki.otherCa);
            const rejected = new Promise((resolve) => watcher.onReject(resolve));
            replace(key, foreign.key);
            replace(crt, foreign.cert);
            await rejected;
            assert.is(connection.tlsInfo()!.fingerprint256, before, 'an invalid pair changes nothing');
          }
        }
      })();
      for (let i = 0; i < total; i++) {
        const workflowId = `rot-${i}`;
        const parallel = i % 3 === 0;
        expected.set(workflowId, parallel ? ['Hello, p0!', 'Hello, p1!', 'slept-200', 'slept-50'] : `Hello, n${i}!`);
        started.push(
          client.workflow.execute(parallel ? 'parallel' : 'greet', { taskQueue: 'rotation-load', workflowId, args: parallel ? [2] : [`n${i}`] }).then((r) => {
            completed++;
            return [workflowId, r];
          }),
        );
        // At most 50 outstanding: the load stays steady while the rotations happen.
        if (i - completed >= 50) await waitFor(() => i - completed < 50, 120_000, 'outstanding workflows below 50');
      }
      await rotations;
      const results = (await Promise.all(started)) as Array<[string, unknown]>;
      for (const [workflowId, result] of results) assert.equal(result, expected.get(workflowId), workflowId);
      assert.is(results.length, total);
      assert.ok(connection.rotationCount >= 5, `rotations: ${connection.rotationCount}`);
      assert.is(watcher.reloadCount, 5, 'the invalid pair never went live');
      // 200 greet workflows with one activity each, 100 parallel ones with two.
      assert.is(executions.size, 200 + 2 * 100);
      for (const [k, attempts] of executions) {
        assert.equal(
          attempts,
          attempts.map((_, i) => i + 1),
          `${k}: executions ${JSON.stringify(attempts)} must be attempts 1..n`,
        );
      }
      const retried = [...executions.values()].filter((a) => a.length > 1).length;
      assert.ok(retried <= 2, `activities retried: ${retried}`);
      assert.ok(
        warnings.some((w) => /previous pair stays in force/.test(w)),
        'the invalid pair was reported',
      );
    } finally {
      void worker.shutdown();
      await running;
      await connection.close();
      watcher.close();
      await server.close();
    }
  }),
);

test(
  'Worker.create refuses a connection whose client certificate has expired, naming subject and date',
  timed(20_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key } });
    // A certificate that expires a few seconds after connecting; the test waits for the
    // connection's own expiry event, not a sleep. A machine so slow that the certificate
    // expired before connect finished gets a longer-lived one.
    let expiredEvent!: Promise<void>;
    let connection: Connection | undefined;
    for (let lifetimeMs = 3000; !connection; lifetimeMs *= 2) {
      const shortLived = issueCertificate(pki.dir, `short-lived-${lifetimeMs}`, {
        cn: 'short-lived-worker',
        kind: 'client',
        issuer: pki.ca,
        notAfter: new Date(Date.now() + lifetimeMs),
      });
      let onExpired!: () => void;
      expiredEvent = new Promise<void>((resolve) => (onExpired = resolve));
      connection = await Connection.connect({
        address: server.address,
        tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost', clientCertPair: { crt: shortLived.cert, key: shortLived.key } },
        logger: {
          info: () => undefined,
          warn: () => undefined,
          error: (message: string) => {
            if (/expired on/.test(message)) onExpired();
          },
        },
      }).catch((err: Error & { code?: string }) => {
        if (lifetimeMs < 60_000 && /expired|not valid after|notAfter/i.test(err.message)) return undefined;
        throw err;
      });
    }
    try {
      await expiredEvent;
      const err = (await Worker.create({ connection, taskQueue: 'expired', activities, logger: quietLogger }).catch((e) => e)) as Error & { code?: string };
      assert.is(err.code, 'ERR_TLS_CERT_EXPIRED');
      assert.match(err.message, /short-lived-worker/);
      assert.match(err.message, /expired on \d{4}-\d\d-\d\dT/);
    } finally {
      await connection!.close();
      await server.close();
    }
  }),
);

test.run();
