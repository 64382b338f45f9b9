/**
 * TLS and mutual TLS on the dev server, judged by the official client and worker:
 * real handshakes with certificates generated at test time.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, Client } from '@temporalio/client';
import { Worker, NativeConnection } from '@temporalio/worker';
import { DevServer } from '../../src/testing';
import { installQuietRuntime, workflowBundle } from '../helpers/official-env';
import { makeTestPki, type TestPki } from '../helpers/certs';
import { timed } from '../helpers/wait';
import * as wf from '../fixtures/workflows';
import * as activities from '../fixtures/activities';

const test = suite('dev server TLS and mTLS');
let pki: TestPki;

test.before(async () => {
  installQuietRuntime();
  pki = await makeTestPki();
});

test(
  'serves TLS: the official client connects with the CA and runs a query-free call',
  timed(20_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.certPath, key: pki.server.keyPath } });
    try {
      const connection = await Connection.connect({
        address: server.address,
        tls: { serverRootCACertificate: Buffer.from(pki.ca.cert), serverNameOverride: 'localhost' },
      });
      const info = await connection.workflowService.getSystemInfo({});
      assert.ok(info.capabilities?.sdkMetadata);
      await connection.close();
    } finally {
      await server.close();
    }
  }),
);

test(
  'mTLS: the official client and worker run a workflow with client certificates',
  timed(60_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    const tls = {
      serverRootCACertificate: Buffer.from(pki.ca.cert),
      serverNameOverride: 'localhost',
      clientCertPair: { crt: Buffer.from(pki.client.cert), key: Buffer.from(pki.client.key) },
    };
    const connection = await Connection.connect({ address: server.address, tls });
    const nativeConnection = await NativeConnection.connect({ address: server.address, tls });
    try {
      const client = new Client({ connection });
      const worker = await Worker.create({ connection: nativeConnection, taskQueue: 'mtls', workflowBundle: await workflowBundle(), activities });
      const result = await worker.runUntil(client.workflow.execute(wf.greet, { taskQueue: 'mtls', workflowId: 'mtls-1', args: ['mTLS'] }));
      assert.is(result, 'Hello, mTLS!');
    } finally {
      await connection.close();
      await nativeConnection.close();
      await server.close();
    }
  }),
);

test(
  "mTLS: a client without a certificate, or with another CA's, is refused at the handshake",
  timed(30_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    try {
      const noCert = await Connection.connect({
        address: server.address,
        tls: { serverRootCACertificate: Buffer.from(pki.ca.cert), serverNameOverride: 'localhost' },
        connectTimeout: 3000,
      }).then(
        () => 'connected',
        (err: Error) => String(err.message ?? err),
      );
      assert.is.not(noCert, 'connected');
      const wrongCa = await Connection.connect({
        address: server.address,
        tls: {
          serverRootCACertificate: Buffer.from(pki.ca.cert),
          serverNameOverride: 'localhost',
          clientCertPair: { crt: Buffer.from(pki.clientFromOtherCa.cert), key: Buffer.from(pki.clientFromOtherCa.key) },
        },
        connectTimeout: 3000,
      }).then(
        () => 'connected',
        (err: Error) => String(err.message ?? err),
      );
      assert.is.not(wrongCa, 'connected');
      const nativeNoCert = await NativeConnection.connect({
        address: server.address,
        tls: { serverRootCACertificate: Buffer.from(pki.ca.cert), serverNameOverride: 'localhost' },
      }).then(
        async (c) => {
          await c.close();
          return 'connected';
        },
        (err: Error) => String(err.message ?? err),
      );
      assert.is.not(nativeNoCert, 'connected');
    } finally {
      await server.close();
    }
  }),
);

test(
  'mTLS with a bundle of two CAs accepts clients of either (CA rotation)',
  timed(30_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert + pki.otherCa.cert } });
    try {
      for (const c of [pki.client, pki.clientFromOtherCa]) {
        const connection = await Connection.connect({
          address: server.address,
          tls: {
            serverRootCACertificate: Buffer.from(pki.ca.cert),
            serverNameOverride: 'localhost',
            clientCertPair: { crt: Buffer.from(c.cert), key: Buffer.from(c.key) },
          },
        });
        await connection.workflowService.getSystemInfo({});
        await connection.close();
      }
    } finally {
      await server.close();
    }
  }),
);

test(
  'unreadable or non-PEM TLS inputs are clear errors that show no key material',
  timed(10_000, async () => {
    const missing = await DevServer.start({ tls: { cert: '/nonexistent/server.pem', key: pki.server.keyPath } }).catch((e) => e);
    assert.is(missing.code, 'ERR_TLS_CONFIG');
    assert.match(missing.message, /`tls.cert` could not be read from file \/nonexistent\/server.pem/);
    const swapped = await DevServer.start({ tls: { cert: pki.server.key, key: pki.server.key } }).catch((e) => e);
    assert.is(swapped.code, 'ERR_TLS_CONFIG');
    assert.match(swapped.message, /`tls.cert` does not hold a PEM certificate/);
    assert.not.match(swapped.message, /PRIVATE KEY-----\n[A-Za-z0-9+/]/, 'no key body in the message');
  }),
);

test.run();
