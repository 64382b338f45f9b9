/**
 * Logs each TLS handshake the dev server refuses: the peer address and a reason a person
 * can act on (no client certificate, a certificate from an unknown CA, an expired one, not
 * TLS at all, an old TLS version, no HTTP/2…), never certificate contents. Identical lines
 * (same peer host and reason) are written once per window; the next line after the window
 * says how many were left out.
 *
 * grpc-js keeps its HTTP/2 servers to itself and drops these errors; the refusals are read
 * from the `tlsClientError` event of each listening server (Node's tls.Server).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from './logger';

/** Identical refusal lines are written at most once per this window. @default 60 s */
export const TLS_REFUSAL_LOG_WINDOW_MS = 60_000;

interface TlsError extends Error {
  code?: string;
}

/** Minimal view of a refused TLS socket (Node's tls.TLSSocket). */
interface RefusedSocket {
  remoteAddress?: string;
  remotePort?: number;
  authorizationError?: Error | string | null;
  _parent?: { remoteAddress?: string; remotePort?: number } | null;
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** A short reason for a refused handshake, from Node's error and the socket's verification result. */
export function tlsRefusalReason(err: TlsError, authorizationError?: Error | string | null): string {
  const verify =
    typeof authorizationError === 'string'
      ? authorizationError
      : ((authorizationError as { code?: string } | null | undefined)?.code ?? authorizationError?.message);
  if (verify) {
    if (verify === 'CERT_HAS_EXPIRED') return 'client certificate expired';
    if (verify === 'CERT_NOT_YET_VALID') return 'client certificate not yet valid';
    if (UNKNOWN_CA.has(verify)) return 'client certificate from an unknown CA (not in --tls-client-ca)';
    return `client certificate rejected (${verify})`;
  }
  switch (err.code) {
    case 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE':
      return 'no client certificate';
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_HTTP_REQUEST':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return 'bad protocol: the client did not speak TLS (plaintext gRPC or HTTP?)';
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
    case 'ERR_SSL_NO_PROTOCOLS_AVAILABLE':
      return 'bad protocol: TLS version not supported (TLS 1.2 or newer needed)';
    case 'ERR_SSL_NO_APPLICATION_PROTOCOL':
      return 'bad protocol: the client did not offer HTTP/2 (ALPN h2)';
    case 'ERR_SSL_NO_SHARED_CIPHER':
      return 'bad protocol: no cipher in common';
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN':
    case 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR':
      return 'the client refused the server certificate';
    case 'ECONNRESET':
      return 'the client closed the connection during the handshake (does it trust the server certificate?)';
    default:
      return `TLS handshake failed (${err.code ?? 'no error code'})`;
  }
}

/** Writes identical lines once per window, then how many were left out. */
export class RateLimitedLog {
  private readonly seen = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly write: (message: string, meta: Record<string, unknown>) => void,
    private readonly windowMs = TLS_REFUSAL_LOG_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes the line unless the same `key` was written within the window. Returns whether it wrote. */
  log(key: string, message: string, meta: Record<string, unknown>): boolean {
    const t = this.now();
    const entry = this.seen.get(key);
    if (entry && t < entry.until) {
      entry.suppressed++;
      return false;
    }
    if (this.seen.size >= 1000) for (const [k, e] of this.seen) if (t >= e.until) this.seen.delete(k);
    if (this.seen.size >= 1000) return false; // a flood of distinct peers: stay quiet rather than grow
    this.seen.set(key, { until: t + this.windowMs, suppressed: 0 });
    this.write(message, entry?.suppressed ? { ...meta, similarRefusalsNotLogged: entry.suppressed } : meta);
    return true;
  }
}

/**
 * Watches the grpc-js server's listening TLS servers and logs their refused handshakes at
 * `warn` (visible at the dev server's default level). Returns false when grpc-js does not
 * expose its servers (then nothing is logged).
 */
export function watchTlsRefusals(server: grpc.Server, logger: Logger, windowMs = TLS_REFUSAL_LOG_WINDOW_MS): boolean {
  const http2Servers = (server as unknown as { http2Servers?: Map<NodeJS.EventEmitter, unknown> }).http2Servers;
  if (!(http2Servers instanceof Map)) {
    logger.debug('TLS refusals cannot be logged: grpc-js does not expose its listening servers');
    return false;
  }
  const log = new RateLimitedLog((message, meta) => logger.warn(message, meta), windowMs);
  // A refused socket may already be closed when the error arrives, and a closed socket no
  // longer knows its peer: note each peer when the TCP connection comes in.
  const peers = new WeakMap<object, { host: string; port?: number }>();
  for (const listener of http2Servers.keys()) {
    listener.prependListener('connection', (raw: { remoteAddress?: string; remotePort?: number }) => {
      if (raw?.remoteAddress) peers.set(raw, { host: raw.remoteAddress, port: raw.remotePort });
    });
    listener.on('tlsClientError', (err: TlsError, socket: RefusedSocket) => {
      const noted = (socket?._parent && peers.get(socket._parent)) || undefined;
      const host = noted?.host ?? socket?.remoteAddress ?? 'unknown';
      const port = noted?.port ?? socket?.remotePort;
      const reason = tlsRefusalReason(err, socket?.authorizationError);
      log.log(`${host}\u0000${reason}`, 'dev server refused a TLS handshake', { peer: port ? `${host}:${port}` : host, reason });
    });
  }
  return true;
}
