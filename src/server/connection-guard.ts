/**
 * Closes connections that never become HTTP/2: a socket that has not completed its TLS
 * handshake and sent its HTTP/2 preface and SETTINGS within `handshakeTimeout` is destroyed,
 * so silent or byte-by-byte (slow-loris) clients cannot hold the dev server's sockets. grpc-js
 * has no such timeout (Node's own TLS handshake timeout is 120 s, and plaintext has none).
 *
 * grpc-js keeps its HTTP/2 servers to itself; they are reached as in tls-refusals.ts.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from './logger';

/** A connection must complete TLS and start HTTP/2 (preface and SETTINGS) within this. @default 10 s */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

interface PeerSocket extends NodeJS.EventEmitter {
  remoteAddress?: string;
  remotePort?: number;
  destroy(): void;
}

/**
 * Arms a timer on every accepted TCP connection and disarms it when the connection's HTTP/2
 * session receives the client's SETTINGS. Returns false when grpc-js does not expose its servers.
 */
export function guardConnections(server: grpc.Server, handshakeTimeoutMs: number, logger: Logger): boolean {
  const http2Servers = (server as unknown as { http2Servers?: Map<NodeJS.EventEmitter, unknown> }).http2Servers;
  if (!(http2Servers instanceof Map)) {
    logger.debug('the handshake timeout cannot be enforced: grpc-js does not expose its listening servers');
    return false;
  }
  for (const listener of http2Servers.keys()) {
    // Pending connections by peer `address:port` (the session sees a wrapped socket, not the raw one).
    const pending = new Map<string, NodeJS.Timeout>();
    listener.prependListener('connection', (raw: PeerSocket) => {
      const key = `${raw.remoteAddress}:${raw.remotePort}`;
      const timer = setTimeout(() => {
        pending.delete(key);
        logger.debug('connection closed: no TLS handshake and HTTP/2 start within `handshakeTimeout`', { peer: key, handshakeTimeoutMs });
        raw.destroy();
      }, handshakeTimeoutMs);
      timer.unref();
      pending.set(key, timer);
      raw.once('close', () => {
        clearTimeout(timer);
        if (pending.get(key) === timer) pending.delete(key);
      });
    });
    listener.on('session', (session: NodeJS.EventEmitter & { socket?: { remoteAddress?: string; remotePort?: number } }) => {
      const socket = session.socket;
      const key = `${socket?.remoteAddress}:${socket?.remotePort}`;
      session.once('remoteSettings', () => {
        const timer = pending.get(key);
        if (timer) clearTimeout(timer);
        pending.delete(key);
      });
    });
  }
  return true;
}
