/**
 * The `config` step: local checks of the configured TLS material before any network
 * call — PEMs parse, the key belongs to the certificate, validity windows, extended key
 * usage, a CA certificate given as the client certificate, the server CA file.
 */
import { verifyCertificate } from '../../certs/verify';
import { inspectCertificate, type CertificateInfo } from '../../certs/inspect';
import { compileConnectionOptions, type CompiledConnectionOptions, type ConnectionOptions } from '../connection/connection-options';
import { describeTls, readPem, type TlsConfig } from '../connection/tls-credentials';
import { describeCause } from '../common/redact';
import { EXPIRY_WARNING_DAYS, type DoctorStep } from './types';

const DAY_MS = 86_400_000;

/** What the later steps need from the configuration. Key text stays out of `data`. */
export interface CheckedConfig {
  step: DoctorStep;
  /** Address is unusable: nothing else can run. */
  fatal: boolean;
  host?: string;
  port?: number;
  tls: boolean;
  /** The name the server's certificate must be valid for. */
  serverName?: string;
  serverNameOverride?: string;
  caPem?: string;
  /** Present this pair in the TLS probe (parsed and the key matches). */
  pair?: { crtPem: string; keyPem: string };
  /** The configured client certificate, when one could be read. */
  clientCert?: CertificateInfo;
  /** Codes of the client certificate's problems (`EXPIRED`, `KEY_MISMATCH`, …). */
  clientProblems: string[];
  /** Options compiled as `Connection.connect` would; absent when they do not compile. */
  compiled?: CompiledConnectionOptions;
}

const iso = (d: Date) => d.toISOString();

/** `host` and `port` of a compiled `host:port` address (IPv6 in brackets). */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

function cnOf(dn: string): string {
  return dn.split(', ').find((p) => p.startsWith('CN=')) ?? dn;
}

/** Runs the local checks; never throws for bad material. */
export function checkConfig(options: ConnectionOptions): CheckedConfig {
  const failed = (detail: string, fix: string, cause?: unknown): CheckedConfig => ({
    step: { name: 'config', status: 'failed', detail, fix, ...(cause !== undefined ? { cause: describeCause(cause) } : {}) },
    fatal: true,
    tls: false,
    clientProblems: [],
  });
  let address: string;
  try {
    address = compileConnectionOptions({ address: options.address }).address;
  } catch (err) {
    return failed(describeCause(err), 'Pass `address` (--address) as HOST:PORT, e.g. temporal.example.com:7233.');
  }
  const { host, port } = splitAddress(address);
  const apiKeySet = options.apiKey !== undefined;
  const tlsOn = options.tls !== false && (options.tls !== undefined || apiKeySet);
  const tlsConfig: TlsConfig = typeof options.tls === 'object' && options.tls !== null ? options.tls : {};
  const out: CheckedConfig = { step: { name: 'config', status: 'ok', detail: '' }, fatal: false, host, port, tls: tlsOn, clientProblems: [] };
  const problems: Array<{ detail: string; fix: string; warning?: boolean }> = [];
  const data: Record<string, unknown> = { address, tls: tlsOn };

  if (tlsOn) {
    out.serverNameOverride = typeof tlsConfig.serverNameOverride === 'string' ? tlsConfig.serverNameOverride : undefined;
    out.serverName = out.serverNameOverride ?? host;
    try {
      if (tlsConfig.serverRootCACertificate !== undefined) {
        out.caPem = readPem(tlsConfig.serverRootCACertificate, 'tls.serverRootCACertificate', 'certificate');
        const cas = inspectCertificate(out.caPem).certificates;
        data.serverCa = cas.map((c) => ({ subject: c.subject, notAfter: iso(c.notAfter), isCA: c.isCA }));
        for (const c of cas) {
          if (!c.isCA) {
            problems.push({
              detail: `the file given as the server CA (\`tls.serverRootCACertificate\`) holds ${cnOf(c.subject)}, which is not a CA certificate (CA:FALSE).`,
              fix: "Pass the CA certificate that issued the server's certificate (--tls-ca-path), not a leaf certificate.",
            });
          } else if (c.notAfter.getTime() < Date.now()) {
            problems.push({
              detail: `the server CA ${cnOf(c.subject)} (\`tls.serverRootCACertificate\`) expired on ${iso(c.notAfter)}.`,
              fix: 'Get the current CA certificate from whoever runs the server.',
            });
          } else if (c.notAfter.getTime() - Date.now() < EXPIRY_WARNING_DAYS * DAY_MS) {
            problems.push({
              warning: true,
              detail: `the server CA ${cnOf(c.subject)} expires on ${iso(c.notAfter)}, within ${EXPIRY_WARNING_DAYS} days.`,
              fix: 'Ask whoever runs the server for the next CA certificate.',
            });
          }
        }
      }
      checkClientPair(tlsConfig, out, problems, data);
    } catch (err) {
      return failed(describeCause(err), 'Check the file paths and that each file holds PEM (--tls-cert-path, --tls-key-path, --tls-ca-path).', err);
    }
  }
  try {
    out.compiled = compileConnectionOptions(options);
    data.tlsState = describeTls(out.compiled.tls);
  } catch (err) {
    if (problems.every((p) => p.warning)) problems.push({ detail: describeCause(err), fix: 'Correct the option the message names.' });
  }
  const failures = problems.filter((p) => !p.warning);
  const shown = failures.length > 0 ? failures : problems;
  out.step =
    shown.length === 0
      ? {
          name: 'config',
          status: 'ok',
          detail: tlsOn
            ? `TLS material is readable and consistent${out.clientCert ? ` (client certificate ${cnOf(out.clientCert.subject)}, valid until ${iso(out.clientCert.notAfter)})` : ''}.`
            : 'Plaintext (TLS off); nothing to check locally.',
          data,
        }
      : {
          name: 'config',
          status: failures.length > 0 ? 'failed' : 'warning',
          detail: capitalise(shown.map((p) => p.detail).join(' Also, ')),
          fix: shown[0]!.fix,
          data,
        };
  return out;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function checkClientPair(
  tls: TlsConfig,
  out: CheckedConfig,
  problems: Array<{ detail: string; fix: string; warning?: boolean }>,
  data: Record<string, unknown>,
): void {
  const pair = tls.clientCertPair;
  if (pair === undefined || pair === null || typeof pair !== 'object' || pair.crt == null || pair.key == null) return;
  const crtPem = readPem(pair.crt, 'tls.clientCertPair.crt', 'certificate');
  const keyPem = readPem(pair.key, 'tls.clientCertPair.key', 'private key');
  const cert = inspectCertificate(crtPem).certificates[0]!;
  out.clientCert = cert;
  data.clientCertificate = {
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: iso(cert.notBefore),
    notAfter: iso(cert.notAfter),
    fingerprint256: cert.fingerprint256,
    isCA: cert.isCA,
  };
  const codes = verifyCertificate({ certPem: crtPem, keyPem, purpose: 'client', clockSkewMs: 0 }).problems.map((p) => p.code);
  out.clientProblems = codes;
  const who = cnOf(cert.subject);
  if (codes.includes('NOT_A_LEAF')) {
    problems.push({
      detail: `the file given as the client certificate (\`tls.clientCertPair.crt\`) is a CA certificate (CA:TRUE): ${who}.`,
      fix: "Pass the client (leaf) certificate the CA issued, and its key (--tls-cert-path, --tls-key-path); never give the worker the CA's key.",
    });
  }
  if (codes.includes('KEY_MISMATCH')) {
    problems.push({
      detail: `the key (\`tls.clientCertPair.key\`) does not belong to the client certificate ${who}.`,
      fix: 'Pass the key that was issued with this certificate (--tls-key-path).',
    });
  }
  if (codes.includes('EXPIRED')) {
    problems.push({
      detail: `your client certificate ${who} expired on ${iso(cert.notAfter)}.`,
      fix: 'Renew the client certificate (e.g. `bastion certs issue`) and point --tls-cert-path/--tls-key-path at the new pair.',
    });
  } else if (codes.includes('NOT_YET_VALID')) {
    problems.push({
      detail: `your client certificate ${who} is not valid until ${iso(cert.notBefore)}.`,
      fix: "Check this machine's clock, or use a certificate whose validity has started.",
    });
  } else if (cert.notAfter.getTime() - Date.now() < EXPIRY_WARNING_DAYS * DAY_MS) {
    problems.push({
      warning: true,
      detail: `your client certificate ${who} expires on ${iso(cert.notAfter)}, within ${EXPIRY_WARNING_DAYS} days.`,
      fix: 'Issue the next certificate now and rotate it in before that date.',
    });
  }
  if (codes.includes('PURPOSE_NOT_ALLOWED') && !cert.isCA) {
    problems.push({
      detail: `your client certificate ${who} does not allow clientAuth (its extended key usage is ${cert.extendedKeyUsage.join(', ') || 'empty'}).`,
      fix: 'Issue the client certificate with the client profile (EKU clientAuth).',
    });
  }
  if (!codes.includes('KEY_MISMATCH')) out.pair = { crtPem, keyPem };
}
