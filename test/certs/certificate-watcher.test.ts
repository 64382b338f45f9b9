/**
 * `watchCertificateFiles`: replaced files, a Kubernetes secret volume's `..data` symlink
 * swap, a half-written pair that must never go live, an invalid pair that is reported
 * once and changes nothing, and a connection that follows the watcher.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { watchCertificateFiles, type CertificateWatcher } from '../../certs';
import { Connection } from '../../src/index';
import { DevServer } from '../../src/testing';
import { issueCertificate, makeTestPki, removeTestPki, type TestCert, type TestPki } from '../helpers/certs';
import { timed, waitFor } from '../helpers/wait';
import { quietLogger } from '../helpers/bastion-env';

const test = suite('certs: watchCertificateFiles');
let pki: TestPki;
let serial = 0;

test.before(async () => {
  pki = await makeTestPki();
});

test.after(() => removeTestPki(pki));

function newPair(): TestCert {
  const n = ++serial;
  return issueCertificate(pki.dir, `watch-src-${n}`, { cn: `watched-${n}`, kind: 'client', issuer: pki.ca, keyRole: `watch-${n}` });
}

/** Writes via a temporary file and a rename, as editors and cert-manager do. */
function replace(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function folder(name: string): string {
  const dir = path.join(pki.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function cnOf(w: CertificateWatcher): string {
  return /CN=([^,]+)/.exec(w.info().subject)![1]!;
}

/** Resolves once the watcher has read and judged the files twice more (a poll and its recheck at least), so "nothing happened" is a finding, not luck. */
async function lookedTwice(watcher: { checkCount: number }): Promise<void> {
  const start = watcher.checkCount;
  await waitFor(() => watcher.checkCount >= start + 2, 10_000, 'two more checks of the files');
}

test(
  'replaced files go live: onChange gets the new pair and info, reloadCount counts',
  timed(15_000, async () => {
    const dir = folder('plain');
    const a = newPair();
    const b = newPair();
    fs.writeFileSync(path.join(dir, 'tls.crt'), a.cert);
    fs.writeFileSync(path.join(dir, 'tls.key'), a.key);
    const watcher = watchCertificateFiles({
      crt: path.join(dir, 'tls.crt'),
      key: path.join(dir, 'tls.key'),
      ca: pki.ca.certPath,
      pollIntervalMs: 200,
      logger: quietLogger,
    });
    try {
      assert.is(cnOf(watcher), `watched-${serial - 1}`);
      const seen: string[] = [];
      watcher.onChange((pair, info) => void seen.push(`${info.subject} ${pair.crt.length}`));
      replace(path.join(dir, 'tls.key'), b.key);
      replace(path.join(dir, 'tls.crt'), b.cert);
      await waitFor(() => watcher.reloadCount === 1, 5000, 'the new pair');
      assert.is(cnOf(watcher), `watched-${serial}`);
      assert.is(seen.length, 1);
      assert.is(watcher.current().key.toString(), b.key);
    } finally {
      watcher.close();
    }
  }),
);

test(
  'a Kubernetes secret volume swap (..data symlink) is noticed',
  timed(15_000, async () => {
    const dir = folder('k8s');
    const a = newPair();
    const b = newPair();
    const write = (version: string, pair: TestCert): void => {
      const v = path.join(dir, version);
      fs.mkdirSync(v);
      fs.writeFileSync(path.join(v, 'tls.crt'), pair.cert);
      fs.writeFileSync(path.join(v, 'tls.key'), pair.key);
    };
    write('..2026_11_25_a', a);
    fs.symlinkSync('..2026_11_25_a', path.join(dir, '..data'));
    fs.symlinkSync('..data/tls.crt', path.join(dir, 'tls.crt'));
    fs.symlinkSync('..data/tls.key', path.join(dir, 'tls.key'));
    // Polling is slow here: the folder watch must do the work.
    const watcher = watchCertificateFiles({ crt: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key'), pollIntervalMs: 60_000, logger: quietLogger });
    try {
      const before = watcher.info().fingerprint256;
      write('..2026_11_25_b', b);
      fs.symlinkSync('..2026_11_25_b', path.join(dir, '..data_tmp'));
      fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
      fs.rmSync(path.join(dir, '..2026_11_25_a'), { recursive: true });
      await waitFor(() => watcher.reloadCount === 1, 5000, 'the swapped pair');
      assert.is.not(watcher.info().fingerprint256, before);
      assert.is(cnOf(watcher), `watched-${serial}`);
    } finally {
      watcher.close();
    }
  }),
);

test(
  'a half-written pair never goes live; the complete pair then does',
  timed(15_000, async () => {
    const dir = folder('half');
    const a = newPair();
    const b = newPair();
    fs.writeFileSync(path.join(dir, 'c.pem'), a.cert);
    fs.writeFileSync(path.join(dir, 'k.pem'), a.key);
    const watcher = watchCertificateFiles({
      crt: path.join(dir, 'c.pem'),
      key: path.join(dir, 'k.pem'),
      pollIntervalMs: 50,
      settleMs: 20,
      logger: quietLogger,
    });
    const live: string[] = [];
    const rejected: string[] = [];
    watcher.onChange((_p, info) => void live.push(info.subject));
    watcher.onReject((r) => void rejected.push(r.problems.map((p) => p.code).join(',')));
    try {
      // The certificate first, truncated mid-way, then complete; the key follows later.
      fs.writeFileSync(path.join(dir, 'c.pem'), b.cert.slice(0, 300));
      await lookedTwice(watcher);
      assert.is(watcher.reloadCount, 0, 'a truncated certificate does not go live');
      fs.writeFileSync(path.join(dir, 'c.pem'), b.cert);
      await lookedTwice(watcher);
      assert.is(watcher.reloadCount, 0, 'nothing went live while the key was old');
      assert.is(watcher.current().key.toString(), a.key);
      fs.writeFileSync(path.join(dir, 'k.pem'), b.key);
      await waitFor(() => watcher.reloadCount === 1, 5000, 'the complete pair');
      assert.is(live.length, 1);
      assert.is(watcher.current().key.toString(), b.key);
    } finally {
      watcher.close();
    }
  }),
);

test(
  'an invalid pair is reported once and the old pair stays in force',
  timed(15_000, async () => {
    const dir = folder('invalid');
    const a = newPair();
    const foreign = issueCertificate(pki.dir, 'watch-foreign', { cn: 'foreign', kind: 'client', issuer: pki.otherCa, keyRole: 'watch-foreign' });
    fs.writeFileSync(path.join(dir, 'c.pem'), a.cert);
    fs.writeFileSync(path.join(dir, 'k.pem'), a.key);
    const warnings: string[] = [];
    const watcher = watchCertificateFiles({
      crt: path.join(dir, 'c.pem'),
      key: path.join(dir, 'k.pem'),
      ca: pki.ca.certPath,
      pollIntervalMs: 50,
      settleMs: 10,
      logger: { info: () => undefined, warn: (m, meta) => void warnings.push(`${m} ${JSON.stringify(meta)}`) },
    });
    const rejected: string[] = [];
    watcher.onReject((r) => void rejected.push(r.problems.map((p) => p.code).join(',')));
    try {
      const before = watcher.info().fingerprint256;
      replace(path.join(dir, 'k.pem'), foreign.key);
      replace(path.join(dir, 'c.pem'), foreign.cert);
      await waitFor(() => rejected.length > 0, 5000, 'the report');
      // Let the watcher look again several times over the same bad pair: still one report.
      await lookedTwice(watcher);
      await lookedTwice(watcher);
      assert.equal(rejected, ['UNKNOWN_ISSUER'], 'reported once, naming the problem');
      assert.is(watcher.info().fingerprint256, before);
      assert.is(watcher.reloadCount, 0);
      assert.is(warnings.length, 1);
      assert.match(warnings[0]!, /previous pair stays in force/);
      assert.not.match(warnings[0]!, /PRIVATE KEY/);
    } finally {
      watcher.close();
    }
  }),
);

test('bad start: unreadable files or an unusable pair throw ERR_CERTS_WATCH; the key never shows', () => {
  const dir = folder('bad-start');
  const a = newPair();
  fs.writeFileSync(path.join(dir, 'c.pem'), a.cert);
  fs.writeFileSync(path.join(dir, 'k.pem'), pki.client.key);
  const attempt = (o: Parameters<typeof watchCertificateFiles>[0]): Error & { code?: string } => {
    try {
      watchCertificateFiles(o).close();
    } catch (err) {
      return err as Error & { code?: string };
    }
    throw new Error('expected a failure');
  };
  const missing = attempt({ crt: path.join(dir, 'nope.pem'), key: path.join(dir, 'k.pem') });
  assert.is(missing.code, 'ERR_CERTS_WATCH');
  assert.match(missing.message, /ENOENT/);
  const mismatch = attempt({ crt: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem') });
  assert.is(mismatch.code, 'ERR_CERTS_WATCH');
  assert.match(mismatch.message, /does not match/);
  assert.not.match(mismatch.message, /PRIVATE KEY-----/);
  assert.is(attempt({ crt: '', key: 'x' }).code, 'ERR_CERTS_INVALID_OPTION');
  fs.writeFileSync(path.join(dir, 'k.pem'), a.key);
  const watcher = watchCertificateFiles({ crt: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem'), logger: quietLogger });
  try {
    assert.not.match(inspect(watcher), /PRIVATE KEY/);
    assert.not.match(JSON.stringify(watcher), /PRIVATE KEY/);
  } finally {
    watcher.close();
  }
});

test(
  'a pair the connection refuses (the server does not trust its CA) is never announced as loaded; the refusal is logged once',
  timed(20_000, async () => {
    const server = await DevServer.start({ tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    const dir = folder('refused');
    const a = newPair();
    const foreign = issueCertificate(pki.dir, 'watch-refused', { cn: 'refused', kind: 'client', issuer: pki.otherCa, keyRole: 'watch-refused' });
    fs.writeFileSync(path.join(dir, 'c.pem'), a.cert);
    fs.writeFileSync(path.join(dir, 'k.pem'), a.key);
    // No `ca` on the watcher: the pair passes its checks, and only the server's handshake refuses it.
    const watcher = watchCertificateFiles({ crt: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem'), pollIntervalMs: 50, settleMs: 10 });
    const lines: string[] = [];
    const connection = await Connection.connect({
      address: server.address,
      tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost', clientCertPair: watcher },
      logger: { info: (m) => void lines.push(`info ${m}`), warn: (m) => void lines.push(`warn ${m}`), error: (m) => void lines.push(`error ${m}`) },
    });
    try {
      const before = connection.tlsInfo()!.fingerprint256;
      replace(path.join(dir, 'k.pem'), foreign.key);
      replace(path.join(dir, 'c.pem'), foreign.cert);
      await waitFor(() => watcher.reloadCount === 1, 8000, 'the watcher read the new pair');
      await waitFor(() => lines.some((l) => /^warn .*(refused|stays in force)/.test(l)), 8000, 'the refusal logged');
      assert.is(connection.tlsInfo()!.fingerprint256, before, 'the previous pair stays in force');
      assert.not.ok(
        lines.some((l) => /new pair loaded/.test(l)),
        `no "new pair loaded" for a refused pair: ${JSON.stringify(lines)}`,
      );
      await connection.workflowService.getSystemInfo({});
    } finally {
      await connection.close();
      watcher.close();
      await server.close();
    }
  }),
);

test(
  'a connection follows its watcher: new files, new client certificate, calls keep working',
  timed(20_000, async () => {
    const server = await DevServer.start({ tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    const dir = folder('connection');
    const a = newPair();
    const b = newPair();
    fs.writeFileSync(path.join(dir, 'c.pem'), a.cert);
    fs.writeFileSync(path.join(dir, 'k.pem'), a.key);
    const watcher = watchCertificateFiles({ crt: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem'), pollIntervalMs: 100 });
    const infos: string[] = [];
    const connection = await Connection.connect({
      address: server.address,
      tls: { serverRootCACertificate: pki.ca.cert, serverNameOverride: 'localhost', clientCertPair: watcher },
      logger: { info: (m) => void infos.push(m), warn: () => undefined, error: () => undefined },
    });
    try {
      const before = connection.tlsInfo()!.fingerprint256;
      replace(path.join(dir, 'k.pem'), b.key);
      replace(path.join(dir, 'c.pem'), b.cert);
      await waitFor(() => connection.rotationCount === 1, 8000, 'the connection to rotate');
      assert.is.not(connection.tlsInfo()!.fingerprint256, before);
      assert.is(connection.tlsInfo()!.fingerprint256, watcher.info().fingerprint256);
      await connection.workflowService.getSystemInfo({});
      assert.ok(infos.includes('client certificate files changed; new pair loaded'), 'the watcher logs through the connection');
      assert.ok(infos.includes('TLS settings rotated'));
      // The connection keeps following after its first rotation.
      const c = newPair();
      replace(path.join(dir, 'k.pem'), c.key);
      replace(path.join(dir, 'c.pem'), c.cert);
      await waitFor(() => connection.rotationCount === 2, 8000, 'a second rotation');
    } finally {
      await connection.close();
      watcher.close();
      await server.close();
    }
  }),
);

test.run();
