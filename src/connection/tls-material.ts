/**
 * Checks of client TLS material beyond what `compileTls` already does (PEM parses, key
 * matches, inside its validity window): the certificate is allowed as a TLS client, is not
 * a CA certificate, and — when the caller names the CA that should have issued it — chains
 * to that CA. Used by hot rotation (of `Connection` and of the native connection manager)
 * before a new pair goes live, and by the doctor.
 */
import { checkClientPair, isCertificateSource, pairInfo, type CertificatePairInfo, type CertificateWatcher } from '../../certs/certificate-watcher';
import type { CertificateProblem } from '../../certs/verify';
import { BastionError } from '../common/errors';
import { compileTls, readPem, withTlsView, type ClientCertPair, type CompiledTls, type PemSource, type TlsConfig } from './tls-credentials';

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
  return checkClientPair(pair.crt, pair.key, clientCa === undefined ? undefined : Buffer.from(clientCa), at);
}

/** `tlsInfo()` of a connection: the client certificate in force. Nothing secret. */
export type ClientCertificateInfo = CertificatePairInfo;

/** Subject, issuer, fingerprint and validity of the client certificate in `tls`, if any. */
export function clientCertificateInfo(tls: CompiledTls | undefined): ClientCertificateInfo | undefined {
  return tls?.clientCertPair ? pairInfo(tls.clientCertPair.crt) : undefined;
}

/** What {@link checkRotationTls} found: the settings to put in force, or the coded problems. */
export type RotationTlsCheck = { compiled: CompiledTls } | { problems: CertificateProblem[]; cause?: unknown };

function problemOf(err: unknown): CertificateProblem {
  return { code: err instanceof BastionError ? err.code : 'UNREADABLE', message: err instanceof Error ? err.message : String(err) };
}

/**
 * The rule-by-rule problems of a raw `{ crt, key }` pair (`KEY_MISMATCH`, `EXPIRED`,
 * `NOT_A_LEAF`, …), so a refusal names the rule rather than only `compileTls`'s sentence;
 * none when the pair is absent, a watcher, or unreadable (then `compileTls`'s error says why).
 */
function rawPairProblems(pair: unknown, clientCa: string | undefined): CertificateProblem[] {
  if (!pair || typeof pair !== 'object' || isCertificateSource(pair)) return [];
  const { crt, key } = pair as Partial<ClientCertPair>;
  let crtPem: string;
  let keyPem: string;
  try {
    crtPem = readPem(crt, 'tls.clientCertPair.crt', 'certificate');
    keyPem = readPem(key, 'tls.clientCertPair.key', 'private key');
  } catch {
    return [];
  }
  return checkClientPair(Buffer.from(crtPem), Buffer.from(keyPem), clientCa === undefined ? undefined : Buffer.from(clientCa)).problems;
}

/**
 * Checks the TLS settings a rotation (`setTlsConfig`, a watched file) would put in force,
 * for `Connection` and the native connection manager alike: the CA named by `clientCaSource`
 * is readable, `compileTls` accepts the settings (PEM parses, key matches, validity, not a
 * CA), and the client certificate is allowed as a TLS client and, with `clientCaSource`,
 * issued by that CA. A refusal carries coded problems: a verification rule's code when one
 * names it, else the code of the error thrown (`ERR_TLS_CONFIG`, `ERR_INVALID_OPTION`, …),
 * which is then the `cause`.
 *
 * @param tls settings already known to be an object (a caller refuses anything else with its own hint)
 * @param clientCaSource the CA (PEM, Buffer or path) that must have issued the client certificate; unchecked when absent
 * @param source the certificate watcher the settings come from, kept on the compiled form
 */
export function checkRotationTls(tls: TlsConfig, apiKeySet: boolean, clientCaSource: PemSource | undefined, source?: CertificateWatcher): RotationTlsCheck {
  let clientCa: string | undefined;
  let compiled: CompiledTls;
  try {
    if (clientCaSource !== undefined) clientCa = readPem(clientCaSource, 'clientCa', 'certificate');
  } catch (err) {
    return { problems: [problemOf(err)], cause: err };
  }
  try {
    compiled = compileTls(tls, apiKeySet)!;
  } catch (err) {
    const ruled = rawPairProblems(tls.clientCertPair, clientCa);
    return { problems: ruled.length > 0 ? ruled : [problemOf(err)], cause: err };
  }
  if (source) compiled = withTlsView({ ...compiled, clientCertSource: source });
  const { problems } = checkClientTlsMaterial(compiled, clientCa);
  return problems.length > 0 ? { problems } : { compiled };
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
