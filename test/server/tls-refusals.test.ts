/**
 * The dev server logs each TLS handshake it refuses, with the peer address and a reason
 * (no client certificate, unknown CA, expired, bad protocol), at `warn` so the default
 * log level shows it; never certificate contents; identical lines rate-limited.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { DevServer } from '../../src/testing';
import { RateLimitedLog, tlsRefusalReason } from '../../src/server/tls-refusals';
import { issueCertificate, makeTestPki, removeTestPki, type TestCert, type TestPki } from '../helpers/certs';
import { timed, waitFor } from '../helpers/wait';
import { spawnDevServer } from '../helpers/processes';

const test = suite('dev server: TLS refusal logs');

interface Line {
  level: string;
  message: string;
  meta?: Record<string, unknown>;
}

let pki: TestPki;
let expired: TestCert;
let server: DevServer;
const lines: Line[] = [];
const capture = (level: string) => (message: string, meta?: object) => lines.push({ level, message, meta: meta as Record<string, unknown> });

test.before(async () => {
  pki = await makeTestPki();
  const day = 24 * 3600_000;
  expired = issueCertificate(pki.dir, 'expired-client', {
    cn: 'old-worker',
    kind: 'client',
    issuer: pki.ca,
    keyRole: 'worker-1',
    notBefore: new Date(Date.now() - 3 * day),
    notAfter: new Date(Date.now() - day),
  });
  server = await DevServer.start({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    logger: { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') },
  });
});

test.after(async () => {
  await server?.close();
  if (pki) removeTestPki(pki);
});

const refusals = (reason: RegExp) => lines.filter((l) => l.message === 'dev server refused a TLS handshake' && reason.test(String(l.meta?.reason)));

/** One raw TLS attempt; resolves when the connection is over, however it ended. */
function attempt(options: tls.ConnectionOptions): Promise<void> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: pki.ca.cert, ALPNProtocols: ['h2'], ...options });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.on('secureConnect', () => socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
  });
}

async function expectRefusal(reason: RegExp): Promise<Line> {
  const line = await waitFor(() => refusals(reason)[0], 10_000, `a refusal log line matching ${reason}`);
  assert.is(line.level, 'warn', 'visible at the default level (warn)');
  assert.match(String(line.meta?.peer), /^(::ffff:)?127\.0\.0\.1:\d+$/, JSON.stringify(line));
  return line;
}

test(
  'a client without a certificate: logged with peer and reason',
  timed(20_000, async () => {
    await attempt({});
    await expectRefusal(/^no client certificate$/);
  }),
);

test(
  'the official client without a certificate is refused and logged too',
  timed(20_000, async () => {
    const err = await Connection.connect({
      address: server.address,
      tls: { serverRootCACertificate: Buffer.from(pki.ca.cert), serverNameOverride: 'localhost' },
      connectTimeout: 2000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err, 'refused');
    await expectRefusal(/^no client certificate$/);
  }),
);

test(
  'a certificate from another CA, an expired certificate, and a plaintext client each get their reason',
  timed(20_000, async () => {
    await attempt({ cert: pki.clientFromOtherCa.cert, key: pki.clientFromOtherCa.key });
    await expectRefusal(/unknown CA/);
    await attempt({ cert: expired.cert, key: expired.key });
    await expectRefusal(/expired/);
    const plain = await Connection.connect({ address: server.address, tls: false, connectTimeout: 2000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(plain, 'refused');
    await expectRefusal(/bad protocol: the client did not speak TLS/);
    await attempt({ ALPNProtocols: ['http/1.1'], cert: pki.client.cert, key: pki.client.key });
    await expectRefusal(/did not offer HTTP\/2/);
  }),
);

test(
  'no certificate contents in any line; identical refusals are written once per window',
  timed(20_000, async () => {
    const text = JSON.stringify(lines);
    assert.not.ok(text.includes('BEGIN'), 'no PEM');
    for (const pem of [pki.client.cert, pki.clientFromOtherCa.cert, expired.cert]) assert.not.ok(text.includes(pem.split('\n')[1]!), 'no certificate body');
    const before = refusals(/^no client certificate$/).length;
    await attempt({});
    await attempt({});
    await attempt({ cert: pki.clientFromOtherCa.cert, key: pki.clientFromOtherCa.key });
    await attempt({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
    await expectRefusal(/TLS version not supported/);
    assert.is(refusals(/^no client certificate$/).length, before, 'repeats within the window are not written again');
    assert.is(refusals(/unknown CA/).length, 1);
  }),
);

test(
  'bastion server start-dev shows refusals at its default log level',
  timed(30_000, async () => {
    const cli = await spawnDevServer(['--port', '0', '--tls-cert', pki.server.certPath, '--tls-key', pki.server.keyPath, '--tls-client-ca', pki.ca.certPath]);
    try {
      const port = Number(cli.address.split(':').pop());
      await new Promise<void>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, ALPNProtocols: ['h2'] });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
      const m = await cli.waitFor(/WARN dev server refused a TLS handshake (\{.*\})/);
      assert.equal(Object.keys(JSON.parse(m[1]!)).sort(), ['peer', 'reason']);
      assert.match(m[1]!, /"reason":"no client certificate"/);
      assert.not.ok(cli.output().includes('BEGIN'), 'no PEM in the output');
    } finally {
      cli.kill('SIGTERM');
      await cli.exited;
    }
  }),
);

test('the rate limiter writes again after its window and says how many it left out', () => {
  let now = 0;
  const written: Array<Record<string, unknown>> = [];
  const log = new RateLimitedLog(
    (_m, meta) => written.push(meta),
    1000,
    () => now,
  );
  assert.ok(log.log('k', 'm', { n: 1 }));
  assert.not.ok(log.log('k', 'm', { n: 2 }));
  assert.not.ok(log.log('k', 'm', { n: 3 }));
  assert.ok(log.log('other', 'm', { n: 4 }), 'another key is written');
  now = 1000;
  assert.ok(log.log('k', 'm', { n: 5 }));
  assert.equal(written, [{ n: 1 }, { n: 4 }, { n: 5, similarRefusalsNotLogged: 2 }]);
});

test('reasons for errors the server may see', () => {
  const e = (code: string) => Object.assign(new Error('x'), { code });
  assert.is(tlsRefusalReason(e('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE')), 'no client certificate');
  assert.match(tlsRefusalReason(e('ECONNRESET'), 'CERT_HAS_EXPIRED'), /expired/);
  assert.match(tlsRefusalReason(e('ECONNRESET'), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), /unknown CA/);
  assert.match(tlsRefusalReason(e('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')), /refused the server certificate/);
  assert.match(tlsRefusalReason(e('ERR_SSL_WRONG_VERSION_NUMBER')), /bad protocol/);
  assert.match(tlsRefusalReason(e('ERR_SOMETHING_NEW')), /ERR_SOMETHING_NEW/);
});

test.run();
