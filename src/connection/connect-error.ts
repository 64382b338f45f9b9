/**
 * The message of `ERR_CONNECT_FAILED`: the address, the TLS state, the cause as
 * `STATUS: details`, and what to check for that cause.
 */
import * as crypto from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { ConnectionError } from '../common/errors';
import { describeCause } from '../common/redact';
import { describeTls } from './tls-credentials';
import { checkClientTlsMaterial } from './tls-material';
import type { CompiledConnectionOptions } from './connection-options';

/** Drops what grpc-js and OpenSSL add that helps nobody: empty resolution notes, OpenSSL error prefixes and source paths. */
export function tidyTlsDetails(details: string): string {
  return details
    .replace(/\.?\s*Resolution note:\s*$/, '')
    .replace(/[0-9A-F]{8,}:error:[0-9A-F]+:SSL routines:[A-Za-z0-9_]+:/g, '')
    .replace(/:[^\s:]*openssl[^\s:]*\.c:\d+:/g, ' ')
    .replace(/:(?=SSL alert)/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/ \./g, '.')
    .trim();
}

/** `UNAVAILABLE: No connection established…` for a gRPC error; the redacted message otherwise. */
export function describeStatusError(err: unknown): string {
  const { code, details } = (err ?? {}) as { code?: unknown; details?: unknown };
  if (typeof code === 'number' && status[code] !== undefined) {
    const text = typeof details === 'string' && details !== '' ? describeCause(details) : describeCause(err);
    return `${status[code]}: ${tidyTlsDetails(text)}`;
  }
  return describeCause(err);
}

/** The client certificate's subject and issuer common names (public data only). */
function clientNames(o: CompiledConnectionOptions): { subject: string; issuer: string } | undefined {
  const pair = o.tls?.clientCertPair;
  if (!pair) return undefined;
  try {
    const x509 = new crypto.X509Certificate(pair.crt);
    const cn = (dn: string) => dn.split('\n').find((p) => p.startsWith('CN=')) ?? dn.replace(/\n/g, ', ');
    return { subject: cn(x509.subject), issuer: cn(x509.issuer) };
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with the configured client certificate itself, checked locally after a
 * failed handshake: expired, not yet valid, a key of another certificate, a CA certificate.
 */
function clientPairProblem(o: CompiledConnectionOptions): string | undefined {
  const pair = o.tls?.clientCertPair;
  if (!pair) return undefined;
  let codes: Map<string, string>;
  try {
    const x509 = new crypto.X509Certificate(pair.crt);
    const { problems } = checkClientTlsMaterial(o.tls!);
    codes = new Map(
      problems.map((p) => [String(p.code), p.code === 'EXPIRED' ? new Date(x509.validTo).toISOString() : new Date(x509.validFrom).toISOString()]),
    );
  } catch {
    return undefined;
  }
  const who = pair.subject;
  if (codes.has('NOT_A_LEAF'))
    return `The client certificate \`tls.clientCertPair.crt\` (${who}) is a CA certificate (CA:TRUE), not a client certificate. Pass the client certificate the CA issued, and its key.`;
  if (codes.has('KEY_MISMATCH'))
    return `The key \`tls.clientCertPair.key\` does not belong to the client certificate (${who}). Pass the key that was issued with this certificate.`;
  if (codes.has('EXPIRED')) return `Your client certificate (${who}) expired on ${codes.get('EXPIRED')}. Renew \`tls.clientCertPair\`.`;
  if (codes.has('NOT_YET_VALID'))
    return `Your client certificate (${who}) is not valid until ${codes.get('NOT_YET_VALID')}. Check the clock, or use a certificate whose validity has started.`;
  if (codes.has('PURPOSE_NOT_ALLOWED'))
    return `Your client certificate (${who}) does not allow clientAuth. Issue \`tls.clientCertPair.crt\` with EKU clientAuth.`;
  return undefined;
}

/** Hints for TLS failures recognised from the handshake error, most specific first. */
const TLS_SYMPTOMS: ReadonlyArray<{ pattern: RegExp; hint: (o: CompiledConnectionOptions) => string }> = [
  {
    pattern: /wrong version number|packet length too long|http request/i,
    hint: (o) => `The server at ${o.address} does not seem to speak TLS. If it is a plaintext server, set \`tls: false\`.`,
  },
  {
    pattern: /certificate required/i,
    hint: (o) =>
      o.tls?.clientCertPair
        ? 'The server asked for a client certificate and refused the one presented. Check that it trusts the CA that issued `tls.clientCertPair.crt`.'
        : 'The server requires a client certificate (mutual TLS) but none was configured. Set `tls.clientCertPair` to a certificate issued by a CA the server trusts.',
  },
  { pattern: /certificate expired/i, hint: () => 'The server says your client certificate has expired. Renew `tls.clientCertPair`.' },
  {
    pattern: /unsuitable certificate purpose|unsupported certificate purpose|INVALID_PURPOSE/i,
    hint: () =>
      "The server's certificate does not allow serverAuth (its extended key usage lacks it), so it cannot serve TLS to clients. Whoever runs the server must issue it with EKU serverAuth.",
  },
  {
    pattern: /ALTNAME_INVALID|does not match certificate|altnames/i,
    hint: (o) =>
      o.tls?.serverNameOverride
        ? `The server's certificate is not valid for \`tls.serverNameOverride\` (${o.tls.serverNameOverride}). Set it to a name the certificate lists.`
        : "The server's certificate is not valid for the host in `address`. Connect by a name the certificate lists, or set `tls.serverNameOverride`.",
  },
  {
    pattern: /unable to verify|self.signed|unable to get (local )?issuer|certificate has expired|CERT_/i,
    hint: (o) =>
      o.tls?.serverRootCACertificate
        ? "The server's certificate was not issued by the CA in `tls.serverRootCACertificate` (or has expired). Pass the CA that issued it."
        : "The server's certificate is not trusted by the system's root CAs. Pass the CA that issued it as `tls.serverRootCACertificate`.",
  },
  {
    pattern: /unknown ca|bad certificate|certificate unknown|decrypt error/i,
    hint: (o) => {
      const n = clientNames(o);
      return n
        ? `The server refused the client certificate (${n.subject}): it does not trust ${n.issuer}, the CA that issued \`tls.clientCertPair.crt\`.`
        : 'The server refused the client certificate. Check that the server trusts the CA that issued `tls.clientCertPair.crt`.';
    },
  },
  // Node's TLS servers (grpc-js among them) close the socket without an alert when they reject a client certificate.
  {
    pattern: /Failed to connect|socket disconnected|ECONNRESET/i,
    hint: (o) => {
      const n = clientNames(o);
      return n
        ? `The server closed the connection during the TLS handshake without an alert, which is how Node and grpc-js servers refuse a client certificate they do not trust: check that the server trusts ${n.issuer}, the CA that issued \`tls.clientCertPair.crt\` (${n.subject}). \`bastion doctor\` checks each step.`
        : `The server closed the connection during the TLS handshake. Check that it serves TLS on ${o.address} and whether it requires a client certificate (\`bastion doctor\` checks each step).`;
    },
  },
];

function hint(options: CompiledConnectionOptions, code: unknown, details: string): string {
  const { address, tls } = options;
  if (tls && code === status.UNAVAILABLE) {
    const local = clientPairProblem(options);
    if (local) return local;
    const symptom = TLS_SYMPTOMS.find((s) => s.pattern.test(details));
    if (symptom) return symptom.hint(options);
  }
  switch (code) {
    case status.DEADLINE_EXCEEDED:
      return `The server did not answer within \`connectTimeout\` (${options.connectTimeoutMs} ms). Check that ${address} is reachable, or raise \`connectTimeout\`.`;
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return `The server refused the credentials. Check \`apiKey\` and \`metadata\`${tls?.clientCertPair ? ', and `tls.clientCertPair`' : ''}.`;
    case status.UNIMPLEMENTED:
      return `The server does not implement GetSystemInfo. Check that ${address} is a Temporal frontend.`;
    case status.UNAVAILABLE:
      break;
    default:
      return `Check that ${address} is a Temporal frontend.`;
  }
  if (!tls) return `Check that a Temporal server is listening on ${address}; if it serves TLS, set \`tls\`.`;
  const name = tls.serverNameOverride
    ? `that its certificate is valid for \`tls.serverNameOverride\` (${tls.serverNameOverride})`
    : 'that its certificate is valid for the host in `address` (or set `tls.serverNameOverride`)';
  const ca = tls.serverRootCACertificate
    ? '`tls.serverRootCACertificate` holds the CA that issued it'
    : 'a system root CA issued it (or set `tls.serverRootCACertificate`)';
  const mtls = tls.clientCertPair
    ? 'and, if it requires client certificates, that it trusts the CA that issued `tls.clientCertPair.crt`'
    : 'and, if it requires client certificates (mTLS), set `tls.clientCertPair`';
  return `Check that the server serves TLS on ${address}, ${name}, that ${ca}, ${mtls}.`;
}

/** The `ERR_CONNECT_FAILED` error for a failed first call; `cause` is the original error. */
export function connectFailedError(options: CompiledConnectionOptions, cause: unknown): InstanceType<typeof ConnectionError> {
  const code = (cause as { code?: unknown } | null)?.code;
  const described = describeStatusError(cause).replace(/\.$/, '');
  const message = `Could not connect to ${options.address} (${describeTls(options.tls)}): ${described}. ${hint(options, code, described)}`;
  return new ConnectionError('ERR_CONNECT_FAILED', message, { cause });
}

/** A rotation refused because its test call could not reach the server (not because of the pair). */
export function unreachable(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown; details?: unknown } } | undefined)?.cause;
  // A server that refused the pair in the handshake answers UNAVAILABLE too: that is not retried.
  if (/certificate|alert|ssl|tls|handshake/i.test(String(cause?.details ?? ''))) return false;
  return cause?.code === status.UNAVAILABLE || cause?.code === status.DEADLINE_EXCEEDED;
}
