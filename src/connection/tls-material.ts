/**
 * Checks of client TLS material beyond what `compileTls` already does (PEM parses, key
 * matches, inside its validity window): the certificate is allowed as a TLS client, is not
 * a CA certificate, and — when the caller names the CA that should have issued it — chains
 * to that CA. Used by hot rotation before a new pair goes live, and by the doctor.
 */
import { pairInfo, type CertificatePairInfo } from '../../certs/certificate-watcher';
import { verifyCertificate, type CertificateProblem } from '../../certs/verify';
import type { CompiledTls } from './tls-credentials';

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
