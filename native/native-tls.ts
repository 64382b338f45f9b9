/**
 * TLS material for the native engine: Bastion's compiled TLS settings turned into the
 * official `NativeConnection`'s `tls`, and the checks a rotation runs before anything
 * connects — the same as `Connection.setTlsConfig` (PEM parses, key matches, validity,
 * clientAuth, not a CA, issued by the given CA), each problem with its code.
 */
import { checkClientPair } from '../certs/certificate-watcher';
import type { CertificateProblem } from '../certs/verify';
import { BastionError } from '../src/common/errors';
import { compileTls, readPem, type CompiledTls, type TlsConfig } from '../src/connection/tls-credentials';
import { isCertificateSource } from '../certs/certificate-watcher';

/** The official `TLSConfig` (or `true`/`false`) for compiled settings. */
export function nativeTls(
  tls: CompiledTls | undefined,
): false | true | { serverRootCACertificate?: Buffer; serverNameOverride?: string; clientCertPair?: { crt: Buffer; key: Buffer } } {
  if (!tls) return false;
  if (!tls.serverRootCACertificate && !tls.serverNameOverride && !tls.clientCertPair) return true;
  return {
    ...(tls.serverRootCACertificate ? { serverRootCACertificate: tls.serverRootCACertificate } : {}),
    ...(tls.serverNameOverride ? { serverNameOverride: tls.serverNameOverride } : {}),
    ...(tls.clientCertPair ? { clientCertPair: { crt: tls.clientCertPair.crt, key: tls.clientCertPair.key } } : {}),
  };
}

/** What {@link checkRotationMaterial} found: the compiled settings, or the problems (each coded). */
export type RotationMaterial = { ok: true; tls: CompiledTls } | { ok: false; problems: CertificateProblem[]; cause?: unknown };

function problemOf(err: unknown): CertificateProblem {
  return { code: err instanceof BastionError ? err.code : 'UNREADABLE', message: err instanceof Error ? err.message : String(err) };
}

/**
 * Checks new TLS settings as `Connection.setTlsConfig` does. A raw pair is first checked
 * rule by rule, so a refusal names `KEY_MISMATCH`, `EXPIRED`, `NOT_A_LEAF`,
 * `PURPOSE_NOT_ALLOWED`, `UNKNOWN_ISSUER` or `NOT_YET_VALID`; other unusable input has the
 * code `compileTls` gives it (`ERR_TLS_CONFIG`, `ERR_INVALID_OPTION`, …).
 *
 * @param clientCa PEM of the CA(s) that must have issued the client certificate
 */
export function checkRotationMaterial(tls: TlsConfig, apiKeySet: boolean, clientCa: string | undefined): RotationMaterial {
  const pair = tls.clientCertPair;
  if (pair && typeof pair === 'object' && !isCertificateSource(pair)) {
    let crt: string;
    let key: string;
    try {
      crt = readPem(pair.crt, 'tls.clientCertPair.crt', 'certificate');
      key = readPem(pair.key, 'tls.clientCertPair.key', 'private key');
    } catch (err) {
      return { ok: false, problems: [problemOf(err)], cause: err };
    }
    const { problems } = checkClientPair(Buffer.from(crt), Buffer.from(key), clientCa === undefined ? undefined : Buffer.from(clientCa));
    if (problems.length > 0) return { ok: false, problems };
  }
  let compiled: CompiledTls | undefined;
  try {
    compiled = compileTls(tls, apiKeySet);
  } catch (err) {
    return { ok: false, problems: [problemOf(err)], cause: err };
  }
  if (!compiled) return { ok: false, problems: [{ code: 'ERR_INVALID_OPTION', message: 'Plaintext cannot be switched on by rotation.' }] };
  if (clientCa !== undefined && compiled.clientCertPair) {
    const { problems } = checkClientPair(compiled.clientCertPair.crt, compiled.clientCertPair.key, Buffer.from(clientCa));
    if (problems.length > 0) return { ok: false, problems };
  }
  return { ok: true, tls: compiled };
}
