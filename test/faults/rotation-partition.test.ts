/**
 * A certificate rotation during a partition: a Bastion worker on mTLS reaches the dev server
 * through a relay whose connections die silently (black hole); while it is partitioned the
 * watched certificate and key files are replaced by a new pair from the same CA. After the
 * relay heals, every workflow completes by itself and the connection is on the new pair.
 * The rotation's test handshake needs the server, so it is refused during the partition and
 * must be taken once the path heals.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { Worker } from '../../src/worker';
import { DevServer } from '../../src/testing';
import { watchCertificateFiles } from '../../certs/certificate-watcher';
import { bastionBundle } from '../helpers/bastion-env';
import { issueCertificate, makeTestPki, removeTestPki } from '../helpers/certs';
import { FaultProxy } from '../helpers/fault-proxy';
import { timed, waitFor } from '../helpers/wait';

const test = suite('faults: certificate rotation during a partition');

test(
  'the new pair goes live once the partition heals, and every workflow completes by itself',
  timed(120_000, async () => {
    const pki = await makeTestPki();
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    const proxy = await FaultProxy.start(server.address);
    const live = path.join(pki.dir, 'live');
    fs.mkdirSync(live);
    const crt = path.join(live, 'tls.crt');
    const key = path.join(live, 'tls.key');
    fs.copyFileSync(pki.client.certPath, crt);
    fs.copyFileSync(pki.client.keyPath, key);
    const logs: Array<{ message: string; meta?: Record<string, unknown> }> = [];
    const log = (message: string, meta?: Record<string, unknown>) => void logs.push({ message, meta });
    const logger = { debug: () => undefined, info: log, warn: log, error: log };
    const tls = (clientCertPair: unknown) => ({ serverRootCACertificate: Buffer.from(pki.ca.cert), serverNameOverride: 'localhost', clientCertPair }) as never;
    const watcher = watchCertificateFiles({ crt, key, ca: pki.ca.certPath, pollIntervalMs: 200 });
    const connection = await Connection.connect({
      address: proxy.address,
      logger,
      tls: tls(watcher),
      keepAlive: { interval: '2s', timeout: '2s' },
      connectTimeout: '2s',
    });
    const clientConnection = await Connection.connect({
      address: server.address,
      logger,
      tls: tls({ crt: Buffer.from(pki.client.cert), key: Buffer.from(pki.client.key) }),
    });
    const client = new Client({ connection: clientConnection });
    let activities = 0;
    const taskQueue = 'rotation-partition';
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: await bastionBundle(),
      activities: {
        greet: async (name: string) => {
          activities++;
          return `Hello, ${name}!`;
        },
      },
      shutdownGraceTime: '1s',
      shutdownSignals: [],
      logger,
    });
    const running = worker.run();
    try {
      const handles = [];
      for (let i = 0; i < 2; i++) handles.push(await client.workflow.start('threeSteps', { taskQueue, workflowId: `rp-${i}`, args: [`w${i}`] }));
      await waitFor(() => activities > 0, 60_000, 'an activity runs before the partition');
      const oldFingerprint = connection.tlsInfo()?.fingerprint256;
      assert.is(oldFingerprint, new crypto.X509Certificate(pki.client.cert).fingerprint256);

      proxy.blackHole();
      for (let i = 2; i < 4; i++) handles.push(await client.workflow.start('threeSteps', { taskQueue, workflowId: `rp-${i}`, args: [`w${i}`] }));
      const next = issueCertificate(pki.dir, 'client-next', { cn: 'worker-1', kind: 'client', issuer: pki.ca, keyRole: 'worker-1-next' });
      const newFingerprint = new crypto.X509Certificate(next.cert).fingerprint256;
      // Temp file + rename, key first: each file changes atomically.
      fs.writeFileSync(`${key}.tmp`, next.key, { mode: 0o600 });
      fs.renameSync(`${key}.tmp`, key);
      fs.writeFileSync(`${crt}.tmp`, next.cert);
      fs.renameSync(`${crt}.tmp`, crt);
      // The watcher sees the new pair and the connection tries it while partitioned.
      await waitFor(() => watcher.info()?.fingerprint256 === newFingerprint, 30_000, 'the watcher read the new pair');
      await waitFor(
        () => logs.some((l) => /rotat/i.test(l.message)) || connection.tlsInfo()?.fingerprint256 === newFingerprint,
        30_000,
        'the rotation was tried',
      );
      const duringPartition = connection.tlsInfo()?.fingerprint256 === newFingerprint;
      await proxy.heal();

      await waitFor(() => connection.tlsInfo()?.fingerprint256 === newFingerprint, 60_000, 'the connection is on the new pair after the partition');
      const results = await Promise.all(handles.map((h) => h.result()));
      assert.is(results.length, 4);
      for (const r of results) assert.type(r, 'string');
      console.log(
        `[rotation-partition] rotation applied ${duringPartition ? 'during' : 'after'} the partition; rotations ${connection.rotationCount}; ` +
          `refusals logged ${logs.filter((l) => /rotation refused/.test(l.message)).length}; relay connections ${proxy.accepted}`,
      );
    } finally {
      if (worker.getState() === 'RUNNING') void worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await clientConnection.close();
      watcher.close();
      await proxy.close();
      await server.close();
      removeTestPki(pki);
    }
  }),
);

test.run();
