/**
 * Slow-loris clients against the dev server: raw TCP connections that never send anything,
 * or send the start of an HTTP/2 preface or a TLS ClientHello one byte at a time, are closed
 * by the server itself (its `handshakeTimeout`), and a real call succeeds while they are open.
 * The test waits for each socket's 'close' event; it asserts no wall-clock bound.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'node:net';
import { DevServer } from '../../src/testing';
import { Connection } from '../../src/connection';
import { makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { timed } from '../helpers/wait';
import { FaultProxy } from '../helpers/fault-proxy';

const test = suite('faults: slow-loris clients against the dev server');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** The client's first bytes: the HTTP/2 preface, and the head of a TLS 1.2 ClientHello record. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const CLIENT_HELLO_HEAD = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, ...Buffer.alloc(32, 7)]);

let pki: TestPki;
test.before(async () => {
  pki = await makeTestPki();
});
test.after(() => removeTestPki(pki));

interface Loris {
  closed: Promise<void>;
  bytesSent: () => number;
}

/** A connection that sends nothing (`bytes` empty) or `bytes` one at a time, every `everyMs`, until closed. */
function loris(port: number, bytes: Buffer, everyMs: number): Loris {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.once('connect', () => {
    if (bytes.length === 0) return;
    timer = setInterval(() => {
      // Never the whole of it: the handshake must stay unfinished.
      if (sent >= bytes.length - 1 || socket.destroyed) return;
      socket.write(bytes.subarray(sent, sent + 1));
      sent++;
    }, everyMs);
  });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve();
    }),
  );
  return { closed, bytesSent: () => sent };
}

async function attack(server: DevServer, partial: Buffer, connect: () => Promise<Connection>, afterCut?: () => Promise<void>): Promise<void> {
  const port = Number(server.address.split(':').pop());
  const silent = Array.from({ length: 20 }, () => loris(port, Buffer.alloc(0), 0));
  const slow = Array.from({ length: 20 }, () => loris(port, partial, 200));
  const connection = await connect();
  try {
    // While the lorises hold their sockets, a real client's calls still succeed.
    const info = await connection.workflowService.getSystemInfo({});
    assert.ok(info.capabilities, 'a real call succeeds while the slow clients are connected');
    await Promise.all([...silent, ...slow].map((l) => l.closed));
    // A timeout has passed (the lorises were cut): the real connection is still served.
    await connection.workflowService.getSystemInfo({});
    await afterCut?.();
  } finally {
    await connection.close();
  }
  assert.ok(
    slow.every((l) => l.bytesSent() > 0),
    'the slow clients were sending when closed',
  );
}

test(
  'plaintext: silent connections and a byte-by-byte HTTP/2 preface are closed by the server; a real call succeeds meanwhile',
  timed(60_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', handshakeTimeout: '2s' });
    try {
      // The real client goes through a relay that counts its TCP connections.
      const proxy = await FaultProxy.start(server.address);
      try {
        await attack(
          server,
          H2_PREFACE,
          () => Connection.connect({ address: proxy.address, logger: quiet }),
          async () => assert.is(proxy.accepted, 1, 'the real connection was not cut by the handshake timeout (no reconnect)'),
        );
      } finally {
        await proxy.close();
      }
    } finally {
      await server.close();
    }
  }),
);

test(
  'mTLS: silent connections and a byte-by-byte ClientHello are closed by the server; a real mTLS call succeeds meanwhile',
  timed(60_000, async () => {
    const server = await DevServer.start({
      logLevel: 'off',
      handshakeTimeout: '2s',
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    });
    try {
      await attack(server, CLIENT_HELLO_HEAD, () =>
        Connection.connect({
          address: server.address,
          logger: quiet,
          tls: {
            serverRootCACertificate: Buffer.from(pki.ca.cert),
            serverNameOverride: 'localhost',
            clientCertPair: { crt: Buffer.from(pki.client.cert), key: Buffer.from(pki.client.key) },
          },
        }),
      );
    } finally {
      await server.close();
    }
  }),
);

test('`handshakeTimeout` must be a positive duration', async () => {
  await DevServer.start({ logLevel: 'off', handshakeTimeout: 0 }).then(
    () => assert.unreachable('a zero timeout is refused'),
    (err: Error & { code?: string }) => {
      assert.is(err.code, 'ERR_INVALID_OPTION');
      assert.match(err.message, /`handshakeTimeout`/);
    },
  );
});

test.run();
