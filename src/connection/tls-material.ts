/**
 * Checks of client TLS material beyond what `compileTls` already does (PEM parses, key
 * matches, inside its validity window): the certificate is allowed as a TLS client, is not
 * a CA certificate, and — when the caller names the CA that should have issued it — chains
 * to that CA. Used by hot rotation before a new pair goes live, and by the doctor.
 */
import { pairInfo, type CertificatePairInfo } from '../../certs/certificate-watcher';
import { verifyCertificate, type CertificateProblem } from '../../certs/verify';
import type { CertificateWatcher } from '../../certs/certificate-watcher';
import { compileTls, readPem, withTlsView, type CompiledTls, type PemSource, type TlsConfig } from './tls-credentials';

/** What {@link checkClientTlsMaterial} found: `problems` empty means usable. */
export interface TlsMaterialCheck {
  problems: CertificateProblem[];
  /** The client certificate's subject, fingerprint and validity, when there is one. */
  info?: CertificatePairInfo;
}

/**
 * Checks the client certificate of compiled TLS settings.
 *
 * @param clientCa PEM of the CA(s) the client certificate must chain to; unchecked when absent
 * @param at the time to check validity at
 */
export function checkClientTlsMaterial(tls: CompiledTls, clientCa?: string, at = new Date()): TlsMaterialCheck {
  const pair = tls.clientCertPair;
  if (!pair) return { problems: [] };
  const { problems } = verifyCertificate({
    certPem: pair.crt.toString('utf8'),
    keyPem: pair.key.toString('utf8'),
    caPems: clientCa === undefined ? undefined : [clientCa],
    purpose: 'client',
    at,
    clockSkewMs: 0,
  });
  return { problems, info: pairInfo(pair.crt) };
}

/** `tlsInfo()` of a connection: the client certificate in force. Nothing secret. */
export type ClientCertificateInfo = CertificatePairInfo;

/** Subject, issuer, fingerprint and validity of the client certificate in `tls`, if any. */
export function clientCertificateInfo(tls: CompiledTls | undefined): ClientCertificateInfo | undefined {
  return tls?.clientCertPair ? pairInfo(tls.clientCertPair.crt) : undefined;
}

/**
 * The TLS settings a rotation (`setTlsConfig`, a watched file) would put in force, or the
 * problems (one sentence each) it must be refused for: not a settings object, a plaintext
 * connection, unreadable material, a certificate unfit for a TLS client or not issued by `clientCa`.
 */
export function checkRotationTls(
  tls: unknown,
  current: { readonly tls: CompiledTls | undefined; readonly apiKey: unknown },
  clientCaSource: PemSource | undefined,
  source: CertificateWatcher | undefined,
): { compiled: CompiledTls } | { problems: string[]; cause?: unknown; codes?: string[] } {
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) {
    return {
      problems: [
        '`tls` must be a TLS settings object `{ serverRootCACertificate?, clientCertPair?, serverNameOverride? }`; plaintext cannot be switched on by rotation.',
      ],
    };
  }
  if (!current.tls) return { problems: ['The connection is plaintext; TLS cannot be switched on by rotation. Open a new connection with `tls`.'] };
  let compiled: CompiledTls;
  let clientCa: string | undefined;
  try {
    compiled = compileTls(tls as TlsConfig, current.apiKey !== undefined)!;
    if (source) compiled = withTlsView({ ...compiled, clientCertSource: source });
    if (clientCaSource !== undefined) clientCa = readPem(clientCaSource, 'clientCa', 'certificate');
  } catch (err) {
    return { problems: [err instanceof Error ? err.message : String(err)], cause: err };
  }
  const check = checkClientTlsMaterial(compiled, clientCa);
  return check.problems.length > 0 ? { problems: check.problems.map((p) => p.message), codes: check.problems.map((p) => String(p.code)) } : { compiled };
}

/** Options of `Connection.setTlsConfig`. */
export interface SetTlsConfigOptions {
  /**
   * The CA (PEM text, Buffer or file path) that must have issued the new client
   * certificate; unchecked when absent (the server checks it in the test handshake).
   */
  clientCa?: PemSource;
  /**
   * Make one `GetSystemInfo` call over the new settings before switching, so a pair the
   * server refuses never goes live.
   * @default true
   */
  verifyWithServer?: boolean;
  signal?: AbortSignal;
}

/** What one rotation did. */
export interface TlsRotationResult {
  /** The client certificate now in force (undefined without mTLS). */
  certificate: ClientCertificateInfo | undefined;
  /** Long polls moved from the old channel to the new one. */
  movedLongPolls: number;
  /** Calls still finishing on the old channel when it was retired. */
  drainingCalls: number;
}
