/**
 * TLS inputs: PEM as Buffer, string or file path, and every way one can be wrong. Each
 * error is `ERR_TLS_CONFIG` (or a config error) naming the option, and no message or
 * cause ever holds key material.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileConnectionOptions, type ConnectionOptions } from '../../src/index';
import { issueCertificate, makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';

const test = suite('connection: TLS inputs');
let pki: TestPki;

test.before(async () => {
  pki = await makeTestPki();
});
test.after(() => removeTestPki(pki));

/** Lines of every private key in the PKI, without the armour. */
function keyBodies(): string[] {
  return [pki.client.key, pki.clientFromOtherCa.key, pki.server.key, pki.ca.key]
    .flatMap((k) => k.split('\n'))
    .filter((line) => line.length > 20 && !line.startsWith('-----'));
}

/** Compiles options that must fail; checks the error holds no secret, in its message or causes. */
function tlsError(options: ConnectionOptions): Error & { code?: string } {
  let err: (Error & { code?: string }) | undefined;
  try {
    compileConnectionOptions(options);
  } catch (e) {
    err = e as Error & { code?: string };
  }
  assert.ok(err, 'expected compileConnectionOptions to throw');
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    for (const body of keyBodies()) assert.not.ok(e.message.includes(body), `key material in: ${e.message}`);
    assert.not.match(e.message, /-----BEGIN [A-Z ]+-----\s*[A-Za-z0-9+/]{16}/);
  }
  return err!;
}

test('accepts PEM as strings, Buffers and file paths', () => {
  for (const [crt, key, ca] of [
    [pki.client.cert, pki.client.key, pki.ca.cert],
    [Buffer.from(pki.client.cert), Buffer.from(pki.client.key), Buffer.from(pki.ca.cert)],
    [pki.client.certPath, pki.client.keyPath, pki.ca.certPath],
  ]) {
    const tls = compileConnectionOptions({ tls: { serverRootCACertificate: ca, clientCertPair: { crt, key }, serverNameOverride: 'localhost' } }).tls!;
    assert.is(tls.serverRootCACertificate!.toString(), pki.ca.cert);
    assert.is(tls.clientCertPair!.crt.toString(), pki.client.cert);
    assert.is(tls.clientCertPair!.key.toString(), pki.client.key);
    assert.is(tls.clientCertPair!.subject, 'CN=worker-1');
    assert.is(tls.serverNameOverride, 'localhost');
  }
});

test('clientCertPair with only crt or only key names both options', () => {
  for (const pair of [{ crt: pki.client.cert }, { key: pki.client.key }]) {
    const err = tlsError({ tls: { clientCertPair: pair as never } });
    assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
    assert.match(err.message, /`tls\.clientCertPair\.crt` and `tls\.clientCertPair\.key` must be given together/);
  }
  assert.match(
    tlsError({ tls: { clientCertPair: { cert: 'x', key: 'y' } as never } }).message,
    /`tls\.clientCertPair\.cert` is not an option\. Did you mean `tls\.clientCertPair\.crt`\?/,
  );
});

test('an unreadable file path: ERR_TLS_CONFIG naming the option, the path and the errno', () => {
  const missing = path.join(pki.dir, 'nope.key');
  const err = tlsError({ tls: { clientCertPair: { crt: pki.client.certPath, key: missing } } });
  assert.is(err.code, 'ERR_TLS_CONFIG');
  assert.is(err.name, 'ConfigError');
  assert.is(
    err.message,
    `\`tls.clientCertPair.key\` is not PEM text, so it was taken as a file path, but ${JSON.stringify(missing)} could not be read (ENOENT). Pass the PEM text, a Buffer, or the path of a readable PEM file.`,
  );
  assert.is((err.cause as { code?: string }).code, 'ENOENT');
});

test('key material without its PEM armour is taken as a path but never echoed', () => {
  const body = pki.client.key.split('\n').slice(1, -2).join('');
  const err = tlsError({ tls: { clientCertPair: { crt: pki.client.cert, key: body } } });
  assert.is(err.code, 'ERR_TLS_CONFIG');
  assert.match(err.message, /^`tls\.clientCertPair\.key` is not PEM text, so it was taken as a file path, but "\[redacted\]" could not be read/);
});

test('a file that holds no PEM block: ERR_TLS_CONFIG naming the option', () => {
  const junk = path.join(pki.dir, 'junk.pem');
  fs.writeFileSync(junk, 'this is not a certificate\n');
  const err = tlsError({ tls: { serverRootCACertificate: junk } });
  assert.is(err.code, 'ERR_TLS_CONFIG');
  assert.match(
    err.message,
    /^`tls\.serverRootCACertificate` does not hold a PEM certificate \(no "-----BEGIN CERTIFICATE-----" … "-----END CERTIFICATE-----" block\)\.$/,
  );
  const empty = tlsError({ tls: { serverRootCACertificate: '' } });
  assert.match(empty.message, /`tls\.serverRootCACertificate` must be PEM text, a Buffer, or the path of a PEM file; got an empty string/);
});

test('swapped certificate and key are reported as such', () => {
  const err = tlsError({ tls: { clientCertPair: { crt: pki.client.keyPath, key: pki.client.certPath } } });
  assert.is(err.code, 'ERR_TLS_CONFIG');
  assert.match(
    err.message,
    /^`tls\.clientCertPair\.crt` does not hold a PEM certificate .* It holds a private key; check that the certificate and key were not swapped\.$/,
  );
  const keyErr = tlsError({ tls: { clientCertPair: { crt: pki.client.cert, key: pki.client.cert } } });
  assert.match(keyErr.message, /^`tls\.clientCertPair\.key` does not hold a PEM private key .* It holds a certificate/);
});

test('a corrupt PEM body: the option is named, the body is not shown', () => {
  const corruptKey = pki.client.key.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
  const err = tlsError({ tls: { clientCertPair: { crt: pki.client.cert, key: corruptKey } } });
  assert.is(err.code, 'ERR_TLS_CONFIG');
  assert.match(err.message, /^`tls\.clientCertPair\.key` holds a "PRIVATE KEY" block that could not be parsed as a private key\./);
  const corruptCa = pki.ca.cert.replace(/\n[A-Za-z0-9+/]{10}/, '\n@@@@@@@@@@');
  const caErr = tlsError({ tls: { serverRootCACertificate: corruptCa } });
  assert.match(caErr.message, /^`tls\.serverRootCACertificate` holds a "-----BEGIN CERTIFICATE-----" block that is not a valid X\.509 certificate\.$/);
});

test('a key that does not match the certificate names the subject', () => {
  const err = tlsError({ tls: { clientCertPair: { crt: pki.client.cert, key: pki.clientFromOtherCa.key } } });
  assert.is(err.code, 'ERR_TLS_CONFIG');
  assert.is(
    err.message,
    "`tls.clientCertPair.key` does not match the certificate's public key (subject CN=worker-1). Pass the key that was issued with this certificate.",
  );
});

test('an encrypted private key is refused with a hint', () => {
  const encrypted = crypto.createPrivateKey(pki.client.key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
  const err = tlsError({ tls: { clientCertPair: { crt: pki.client.cert, key: encrypted } } });
  assert.is(err.code, 'ERR_TLS_CONFIG');
  assert.match(err.message, /^`tls\.clientCertPair\.key` is an encrypted private key\. Pass the key unencrypted/);
  assert.not.ok(err.message.includes(encrypted.split('\n')[1]!));
});

test('an expired client certificate is refused with its expiry date and subject', () => {
  const expired = issueCertificate(pki.dir, 'expired', {
    cn: 'old-worker',
    kind: 'client',
    issuer: pki.ca,
    notBefore: new Date(Date.now() - 2 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
  });
  const err = tlsError({ tls: { clientCertPair: { crt: expired.certPath, key: expired.keyPath } } });
  assert.is(err.code, 'ERR_TLS_CONFIG');
  assert.match(err.message, /^`tls\.clientCertPair\.crt` expired on \d{4}-\d\d-\d\dT[\d:.]+Z \(subject CN=old-worker\)\. Renew the client certificate\.$/);
});

test('a bad serverNameOverride is an invalid option', () => {
  const err = tlsError({ tls: { serverNameOverride: 'https://x/' } });
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, /`tls\.serverNameOverride` must be a host name/);
});

test.run();
