/**
 * Real handshakes against grpc-js servers with a test PKI: TLS, mutual TLS, and the
 * `ERR_CONNECT_FAILED` messages for each way a connection fails.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import { Connection, type ConnectionOptions } from '../../src/index';
import { makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { timed } from '../helpers/wait';
import { spawnNode } from '../helpers/processes';
import { issueCertificate } from '../helpers/certs';
import * as path from 'node:path';
import { startRecordingServer, type RecordingServer } from './recording-server';

const test = suite('connection: TLS, mTLS and connect failures');
let pki: TestPki;
let plain: RecordingServer;
let tlsServer: RecordingServer;
let mtlsServer: RecordingServer;

test.before(async () => {
  pki = await makeTestPki();
  const keyCertPairs = [{ cert_chain: Buffer.from(pki.server.cert), private_key: Buffer.from(pki.server.key) }];
  plain = await startRecordingServer();
  tlsServer = await startRecordingServer({}, grpc.ServerCredentials.createSsl(null, keyCertPairs, false));
  mtlsServer = await startRecordingServer({}, grpc.ServerCredentials.createSsl(Buffer.from(pki.ca.cert), keyCertPairs, true));
});

test.after(async () => {
  await plain?.close();
  await tlsServer?.close();
  await mtlsServer?.close();
  removeTestPki(pki);
});

/** Connects, expecting failure; checks the error's code, cause, and that it holds no key material. */
async function connectError(options: ConnectionOptions): Promise<Error & { code?: string }> {
  const err = await Connection.connect({ connectTimeout: '5s', ...options }).then(
    async (c) => {
      await c.close();
      return undefined;
    },
    (e: Error & { code?: string }) => e,
  );
  assert.ok(err, 'expected Connection.connect to fail');
  assert.is(err.code, 'ERR_CONNECT_FAILED');
  assert.is(err.name, 'ConnectionError');
  assert.ok(err.cause, 'cause is kept');
  for (const key of [pki.client.key, pki.clientFromOtherCa.key]) {
    for (const line of key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) assert.not.ok(err.message.includes(line));
  }
  assert.not.match(err.message, /PRIVATE KEY/);
  return err;
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test(
  'TLS with the test CA: a real handshake to 127.0.0.1 (IP SAN) and to localhost',
  timed(10_000, async () => {
    for (const address of [tlsServer.address, `localhost:${tlsServer.port}`]) {
      const connection = await Connection.connect({ address, tls: { serverRootCACertificate: pki.ca.cert } });
      const info = await connection.workflowService.getSystemInfo({});
      assert.is(info.serverVersion, 'recording');
      await connection.close();
    }
  }),
);

test(
  'TLS to an IP literal sends no server name, so Node raises no DEP0123 warning; the IP SAN is still checked',
  timed(60_000, async () => {
    // In a fresh process: Node warns once per process, so an earlier connection here would hide it.
    const script = `
    const { Connection } = require(${JSON.stringify(path.resolve(__dirname, '../../src/index.js'))});
    const warnings = [];
    process.on('warning', (w) => warnings.push(w.code || w.name));
    (async () => {
      const c = await Connection.connect({ address: ${JSON.stringify(tlsServer.address)}, tls: { serverRootCACertificate: ${JSON.stringify(pki.ca.cert)} }, connectTimeout: '10s' });
      await c.close();
      setImmediate(() => console.log(JSON.stringify({ warnings })));
    })().catch((e) => { console.log(JSON.stringify({ error: e.message })); });`;
    const child = spawnNode(['-e', script]);
    await child.exited;
    const result = JSON.parse(child.output().trim().split('\n').pop()!);
    assert.is(result.error, undefined, child.output());
    assert.equal(result.warnings, [], child.output());
    // The certificate is still checked against the IP: a CA-trusted certificate for localhost only (no IP SAN) is refused at 127.0.0.1.
    const dnsOnly = issueCertificate(pki.dir, 'dns-only', { cn: 'localhost', kind: 'server', issuer: pki.ca, keyRole: 'server', san: { dns: ['localhost'] } });
    const server = await startRecordingServer(
      {},
      grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(dnsOnly.cert), private_key: Buffer.from(dnsOnly.key) }], false),
    );
    try {
      const err = await connectError({ address: server.address, tls: { serverRootCACertificate: pki.ca.cert } });
      assert.match(err.message, /127\.0\.0\.1/);
      assert.match(err.message, /IP|altnames|name/i);
      const ok = await Connection.connect({ address: `localhost:${server.port}`, tls: { serverRootCACertificate: pki.ca.cert }, connectTimeout: '10s' });
      await ok.close();
    } finally {
      await server.close();
    }
  }),
);

test(
  'TLS with serverNameOverride and the CA given as a file path',
  timed(10_000, async () => {
    const connection = await Connection.connect({
      address: tlsServer.address,
      tls: { serverRootCACertificate: pki.ca.certPath, serverNameOverride: 'localhost' },
    });
    await connection.close();
  }),
);

test(
  'mTLS: succeeds with a client certificate from the trusted CA (PEM files)',
  timed(10_000, async () => {
    const connection = await Connection.connect({
      address: `localhost:${mtlsServer.port}`,
      tls: { serverRootCACertificate: pki.ca.certPath, clientCertPair: { crt: pki.client.certPath, key: pki.client.keyPath } },
      metadata: { 'x-test': 'mtls' },
    });
    assert.is(mtlsServer.last('GetSystemInfo')!.headers['x-test'], 'mtls');
    await connection.close();
  }),
);

test(
  'connecting to a closed port names the address and plaintext',
  timed(10_000, async () => {
    const port = await closedPort();
    const err = await connectError({ address: `127.0.0.1:${port}` });
    assert.match(
      err.message,
      new RegExp(
        `^Could not connect to 127\\.0\\.0\\.1:${port} \\(plaintext\\): UNAVAILABLE: .*ECONNREFUSED.*\\. Check that a Temporal server is listening on 127\\.0\\.0\\.1:${port}; if it serves TLS, set \`tls\`\\.$`,
      ),
    );
    assert.is((err.cause as { code?: number }).code, grpc.status.UNAVAILABLE);
  }),
);

test(
  'TLS to a plaintext server says TLS was on and suggests tls: false',
  timed(10_000, async () => {
    const err = await connectError({ address: plain.address, tls: { serverRootCACertificate: pki.ca.cert } });
    assert.match(err.message, new RegExp(`^Could not connect to ${plain.address.replace(/\./g, '\\.')} \\(TLS on, no client certificate\\): UNAVAILABLE: `));
    assert.match(err.message, /does not seem to speak TLS\. If it is a plaintext server, set `tls: false`\.$/);
  }),
);

test(
  'plaintext to a TLS server says plaintext and suggests tls',
  timed(10_000, async () => {
    const err = await connectError({ address: tlsServer.address, tls: false });
    assert.match(err.message, /\(plaintext\): UNAVAILABLE: .*if it serves TLS, set `tls`\.$/);
  }),
);

test(
  'a server certificate from another CA is not trusted',
  timed(10_000, async () => {
    const err = await connectError({ address: `localhost:${tlsServer.port}`, tls: { serverRootCACertificate: pki.otherCa.cert } });
    assert.match(err.message, /\(TLS on, no client certificate\): UNAVAILABLE: .*not issued by the CA in `tls\.serverRootCACertificate`/);
  }),
);

test(
  'a serverNameOverride the certificate does not list is named',
  timed(10_000, async () => {
    const err = await connectError({ address: tlsServer.address, tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'temporal.example' } });
    assert.match(err.message, /not valid for `tls\.serverNameOverride` \(temporal\.example\)/);
  }),
);

test(
  'mTLS without a client certificate: the message says none was presented and names tls.clientCertPair',
  timed(10_000, async () => {
    const err = await connectError({ address: `localhost:${mtlsServer.port}`, tls: { serverRootCACertificate: pki.ca.cert } });
    assert.match(err.message, /^Could not connect to localhost:\d+ \(TLS on, no client certificate\): UNAVAILABLE: /);
    assert.match(err.message, /`tls\.clientCertPair`/);
  }),
);

test(
  'mTLS with a certificate from another CA: the message says which certificate was presented',
  timed(10_000, async () => {
    const err = await connectError({
      address: `localhost:${mtlsServer.port}`,
      tls: { serverRootCACertificate: pki.ca.cert, clientCertPair: { crt: pki.clientFromOtherCa.cert, key: pki.clientFromOtherCa.key } },
    });
    assert.match(err.message, /^Could not connect to localhost:\d+ \(TLS on, client certificate presented: CN=intruder\): UNAVAILABLE: /);
    assert.match(err.message, /`tls\.clientCertPair\.crt`/);
  }),
);

test(
  'a server that never answers: DEADLINE_EXCEEDED within connectTimeout',
  timed(10_000, async () => {
    // Accepts TCP but never speaks HTTP/2.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const err = await connectError({ address: `127.0.0.1:${port}`, connectTimeout: '300ms' });
      assert.ok(Date.now() - started < 5_000);
      assert.match(err.message, /\(plaintext\): DEADLINE_EXCEEDED: .*did not answer within `connectTimeout` \(300 ms\)/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }),
);

test(
  'Connection.connect stops when its signal aborts',
  timed(10_000, async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const reason = new Error('startup cancelled');
      const controller = new AbortController();
      const pending = Connection.connect({ address: `127.0.0.1:${port}` }, { signal: controller.signal });
      while (sockets.length === 0) await new Promise((r) => setImmediate(r));
      controller.abort(reason);
      assert.is(
        await pending.then(
          () => undefined,
          (e: unknown) => e,
        ),
        reason,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }),
);

test.run();
