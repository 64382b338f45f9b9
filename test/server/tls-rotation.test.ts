/**
 * The dev server replaces its certificate and its client-CA bundle while it runs: through
 * `DevServer.setTlsConfig`, and through SIGHUP on `bastion server start-dev`. New
 * handshakes see the new material; bad material is refused and changes nothing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { Connection } from '../../src/index';
import { DevServer } from '../../src/testing';
import { issueCertificate, makeTestPki, removeTestPki, type TestCert, type TestPki } from '../helpers/certs';
import { spawnDevServer } from '../helpers/processes';
import { timed, waitFor } from '../helpers/wait';

const test = suite('dev server: TLS rotation without restart');
let pki: TestPki;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

test.before(async () => {
  pki = await makeTestPki();
});

test.after(() => removeTestPki(pki));

/** Handshakes and returns the server certificate's fingerprint, or the handshake error's code. */
function handshake(address: string, client?: TestCert): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      servername: 'localhost',
      ca: pki.ca.cert,
      ALPNProtocols: ['h2'],
      ...(client ? { cert: client.cert, key: client.key } : {}),
    });
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('secureConnect', () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      // TLS 1.3 refuses a client certificate after the handshake: give the alert a moment.
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(`refused:${e.code}`));
      socket.once('close', () => resolve(`closed:${fp}`));
      setTimeout(() => {
        socket.end();
        resolve(fp);
      }, 150);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(`refused:${e.code}`));
  });
}

function fingerprint(cert: TestCert): string {
  return new X509Certificate(cert.cert).fingerprint256;
}

test(
  'setTlsConfig swaps the server certificate: new handshakes see it, an open connection keeps working',
  timed(20_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key } });
    const connection = await Connection.connect({
      address: server.address,
      tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost' },
      logger: silent,
    });
    try {
      assert.is(await handshake(server.address), fingerprint(pki.server));
      const next = issueCertificate(pki.dir, 'server-next', { cn: 'localhost', kind: 'server', issuer: pki.ca, keyRole: 'server-next' });
      server.setTlsConfig({ cert: next.certPath, key: next.keyPath });
      assert.is(await handshake(server.address), fingerprint(next));
      await connection.workflowService.getSystemInfo({});
      const fresh = await Connection.connect({
        address: server.address,
        tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost' },
        logger: silent,
      });
      await fresh.close();
      // Bad material: refused, named, and the served certificate does not change.
      const other = issueCertificate(pki.dir, 'server-other', { cn: 'localhost', kind: 'server', issuer: pki.ca, keyRole: 'server-other' });
      const err = (() => {
        try {
          server.setTlsConfig({ cert: next.cert, key: other.key });
        } catch (e) {
          return e as Error & { code?: string };
        }
        return undefined;
      })();
      assert.is(err?.code, 'ERR_TLS_CONFIG');
      assert.match(err!.message, /does not belong to `tls.cert`/);
      assert.not.match(err!.message, /PRIVATE KEY-----/);
      assert.is(await handshake(server.address), fingerprint(next));
      assert.throws(() => server.setTlsConfig({ cert: next.cert, key: next.key, clientCa: pki.ca.cert }), /mutual TLS cannot be switched on/);
    } finally {
      await connection.close();
      await server.close();
    }
  }),
);

test(
  'client-CA rotation: add the new CA beside the old, then drop the old',
  timed(20_000, async () => {
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    try {
      const serverFp = fingerprint(pki.server);
      assert.is(await handshake(server.address, pki.client), serverFp, 'old CA client accepted');
      assert.match(await handshake(server.address, pki.clientFromOtherCa), /^refused|^closed/, 'new CA client refused before the rotation');
      server.setTlsConfig({ cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert + pki.otherCa.cert });
      assert.is(await handshake(server.address, pki.client), serverFp, 'old CA client accepted during the overlap');
      assert.is(await handshake(server.address, pki.clientFromOtherCa), serverFp, 'new CA client accepted during the overlap');
      server.setTlsConfig({ cert: pki.server.cert, key: pki.server.key, clientCa: pki.otherCa.cert });
      assert.match(await handshake(server.address, pki.client), /^refused|^closed/, 'old CA client refused after the old CA is dropped');
      assert.is(await handshake(server.address, pki.clientFromOtherCa), serverFp);
      assert.throws(() => server.setTlsConfig({ cert: pki.server.cert, key: pki.server.key }), /requires client certificates/);
    } finally {
      await server.close();
    }
  }),
);

test(
  'bastion server start-dev reloads its TLS files on SIGHUP, and keeps the old ones when the new ones are bad',
  timed(30_000, async () => {
    const dir = fs.mkdtempSync(path.join(pki.dir, 'sighup-'));
    const cert = path.join(dir, 'server.pem');
    const key = path.join(dir, 'server.key');
    fs.copyFileSync(pki.server.certPath, cert);
    fs.copyFileSync(pki.server.keyPath, key);
    const server = await spawnDevServer(['--port', '0', '--tls-cert', cert, '--tls-key', key]);
    try {
      assert.is(await handshake(server.address), fingerprint(pki.server));
      const next = issueCertificate(pki.dir, 'server-hup', { cn: 'localhost', kind: 'server', issuer: pki.ca, keyRole: 'server-hup' });
      fs.writeFileSync(cert, next.cert);
      fs.writeFileSync(key, next.key);
      server.kill('SIGHUP');
      await server.waitFor(/TLS material reloaded/);
      assert.is(await handshake(server.address), fingerprint(next));
      fs.writeFileSync(key, pki.client.key);
      server.kill('SIGHUP');
      await server.waitFor(/NOT reloaded/);
      assert.match(server.output(), /`--tls-key` does not belong to `--tls-cert`/);
      assert.not.match(server.output(), /PRIVATE KEY-----/);
      await waitFor(async () => (await handshake(server.address)) === fingerprint(next), 5000, 'the old material still served');
      server.kill('SIGTERM');
      assert.is((await server.exited).code, 0);
    } finally {
      server.kill();
    }
  }),
);

test.run();
