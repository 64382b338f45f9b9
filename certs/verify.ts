/** `verifyCertificate`: every rule a certificate breaks, each with a code and a sentence. */
import * as net from 'node:net';
import { parsePrivateKey, samePublicKey } from './keys';
import { nameToString } from './distinguished-name';
import { issuedBy } from './inspect';
import { OID } from './x509-builder';
import { parseCertificate, splitPem, type ParsedCertificate } from './x509-reader';

/**
 * Clock skew `verifyCertificate` tolerates at either end of the validity window.
 * @default 300000 (5 minutes)
 */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

/** The rules {@link verifyCertificate} checks. */
export type VerifyProblemCode = 'NOT_YET_VALID' | 'EXPIRED' | 'KEY_MISMATCH' | 'UNKNOWN_ISSUER' | 'PURPOSE_NOT_ALLOWED' | 'HOSTNAME_MISMATCH' | 'NOT_A_LEAF';

/** One broken rule. */
export interface CertificateProblem {
  code: VerifyProblemCode | string;
  message: string;
}

/** Options of {@link verifyCertificate}. */
export interface VerifyCertificateOptions {
  /** The certificate (the first one in the PEM is checked). */
  certPem: string;
  /** When given, must be the certificate's private key. */
  keyPem?: string;
  /** When given, the certificate must be signed by one of these CAs (each PEM may hold several). */
  caPems?: string[];
  /** When given, the extended key usage must allow it. */
  purpose?: 'client' | 'server';
  /** When given, a DNS name or IP address the SANs must cover. */
  hostname?: string;
  /** @default new Date() */
  at?: Date;
  /** @default 300000 */
  clockSkewMs?: number;
}

/** What {@link verifyCertificate} returns: `ok` when `problems` is empty. */
export interface VerifyResult {
  ok: boolean;
  problems: CertificateProblem[];
}

function subjectOf(c: ParsedCertificate): string {
  return nameToString(c.subject) || '(empty subject)';
}

/**
 * Checks a certificate against the given expectations and names every broken rule.
 *
 * ```ts
 * const { ok, problems } = verifyCertificate({ certPem, keyPem, caPems: [caPem], purpose: 'client' });
 * for (const p of problems) console.error(p.code, p.message);
 * ```
 * @throws {CertsError} `ERR_CERTS_INVALID_PEM` when `certPem`, `keyPem` or a CA cannot be read.
 */
export function verifyCertificate(options: VerifyCertificateOptions): VerifyResult {
  const cert = parseCertificate('certPem', splitPem('certPem', options.certPem)[0]!);
  const problems: CertificateProblem[] = [];
  const at = options.at ?? new Date();
  const skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const who = subjectOf(cert);

  if (cert.notBefore.getTime() - skew > at.getTime()) {
    problems.push({
      code: 'NOT_YET_VALID',
      message: `The certificate (subject ${who}) is not valid until ${cert.notBefore.toISOString()}; it is now ${at.toISOString()}. Check the clock, or wait.`,
    });
  }
  if (cert.notAfter.getTime() + skew < at.getTime()) {
    problems.push({
      code: 'EXPIRED',
      message: `The certificate (subject ${who}) expired at ${cert.notAfter.toISOString()}; it is now ${at.toISOString()}. Issue a new one.`,
    });
  }
  if (options.keyPem !== undefined) {
    const key = parsePrivateKey('keyPem', options.keyPem);
    if (!samePublicKey(key, cert.x509.publicKey)) {
      problems.push({
        code: 'KEY_MISMATCH',
        message: `\`keyPem\` does not match the certificate's public key (subject ${who}). Pass the key that was issued with this certificate.`,
      });
    }
  }
  if (options.caPems !== undefined) {
    const cas = options.caPems.flatMap((pem, i) => splitPem(`caPems[${i}]`, pem).map((d, j) => parseCertificate(`caPems[${i}] (certificate ${j + 1})`, d)));
    if (!cas.some((ca) => issuedBy(cert, ca))) {
      const issuerCn =
        cert.issuer
          .filter((a) => a.shortName === 'CN')
          .map((a) => a.value)
          .pop() ?? nameToString(cert.issuer);
      problems.push({
        code: 'UNKNOWN_ISSUER',
        message: `The certificate (subject ${who}) was issued by CN=${issuerCn}, which is not among the ${cas.length} given CA certificate(s) (${cas.map(subjectOf).join('; ')}).`,
      });
    }
  }
  if (options.purpose !== undefined) {
    const wanted = options.purpose === 'client' ? OID.clientAuth : OID.serverAuth;
    const eku = cert.extendedKeyUsage;
    if (eku !== undefined && !eku.includes(wanted) && !eku.includes('2.5.29.37.0')) {
      problems.push({
        code: 'PURPOSE_NOT_ALLOWED',
        message: `The certificate (subject ${who}) does not allow use as a TLS ${options.purpose}: its extended key usage lacks ${options.purpose === 'client' ? 'clientAuth' : 'serverAuth'}. Issue it with profile '${options.purpose}'.`,
      });
    }
    if (cert.basicConstraints?.ca) {
      problems.push({
        code: 'NOT_A_LEAF',
        message: `The certificate (subject ${who}) is a CA certificate (CA:TRUE); a TLS ${options.purpose} needs a leaf certificate issued by the CA.`,
      });
    }
  }
  if (options.hostname !== undefined) {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    const matched = net.isIP(host) ? cert.x509.checkIP(host) : cert.x509.checkHost(host, { subject: 'never' });
    if (matched === undefined) {
      const sans = [...cert.altNames.dnsNames.map((d) => `DNS:${d}`), ...cert.altNames.ipAddresses.map((ip) => `IP:${ip}`)];
      problems.push({
        code: 'HOSTNAME_MISMATCH',
        message: `\`hostname\` ${host} is not among the certificate's subject alternative names (${sans.join(', ') || 'none'}). Issue it with \`dnsNames\` or \`ipAddresses\` covering ${host}.`,
      });
    }
  }
  return { ok: problems.length === 0, problems };
}
