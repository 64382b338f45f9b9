/**
 * The message of `ERR_CONNECT_FAILED`: the address, the TLS state, the cause as
 * `STATUS: details`, and what to check for that cause.
 */
import { status } from '@grpc/grpc-js';
import { ConnectionError } from '../common/errors';
import { describeCause } from './redact';
import { describeTls } from './tls-credentials';
import type { CompiledConnectionOptions } from './connection-options';

/** Drops what grpc-js and OpenSSL add that helps nobody: empty resolution notes, OpenSSL error prefixes and source paths. */
function tidyDetails(details: string): string {
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
    return `${status[code]}: ${tidyDetails(text)}`;
  }
  return describeCause(err);
}

/** Hints for TLS failures recognised from the handshake error, most specific first. */
const TLS_SYMPTOMS: ReadonlyArray<{ pattern: RegExp; hint: (o: CompiledConnectionOptions) => string }> = [
  { pattern: /wrong version number|packet length too long|http request/i, hint: (o) => `The server at ${o.address} does not seem to speak TLS. If it is a plaintext server, set \`tls: false\`.` },
  { pattern: /certificate required/i, hint: () => 'The server requires a client certificate (mutual TLS). Set `tls.clientCertPair` to a certificate issued by a CA the server trusts.' },
  { pattern: /ALTNAME_INVALID|does not match certificate|altnames/i, hint: (o) => o.tls?.serverNameOverride ? `The server's certificate is not valid for \`tls.serverNameOverride\` (${o.tls.serverNameOverride}). Set it to a name the certificate lists.` : "The server's certificate is not valid for the host in `address`. Connect by a name the certificate lists, or set `tls.serverNameOverride`." },
  { pattern: /unable to verify|self.signed|unable to get (local )?issuer|certificate has expired|CERT_/i, hint: (o) => o.tls?.serverRootCACertificate ? "The server's certificate was not issued by the CA in `tls.serverRootCACertificate` (or has expired). Pass the CA that issued it." : "The server's certificate is not trusted by the system's root CAs. Pass the CA that issued it as `tls.serverRootCACertificate`." },
  { pattern: /unknown ca|bad certificate|certificate unknown|decrypt error/i, hint: () => 'The server refused the client certificate. Check that the server trusts the CA that issued `tls.clientCertPair.crt`.' },
];

function hint(options: CompiledConnectionOptions, code: unknown, details: string): string {
  const { address, tls } = options;
  if (tls && code === status.UNAVAILABLE) {
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
  const ca = tls.serverRootCACertificate ? '`tls.serverRootCACertificate` holds the CA that issued it' : 'a system root CA issued it (or set `tls.serverRootCACertificate`)';
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
