/**
 * Listening and closing for Bastion's small HTTP servers (the metrics and probe server, the
 * codec server): `listen` as a promise that rejects with the bind error, and a close that
 * lets requests in progress finish for a grace period before their connections are cut.
 * Each server keeps its own error codes and its own once-only `close()`.
 */
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listens on `host:port` and resolves with the address bound (port 0 picks a free one).
 * @throws what `listen` failed with (`EADDRINUSE`, `EADDRNOTAVAIL`, …); the caller wraps it in its own coded error
 */
export function listenHttp(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Stops accepting connections, closes idle keep-alive ones, and resolves once the last
 * connection has gone; connections still busy after `graceMs` are closed (at once for 0).
 */
export function closeHttp(server: http.Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = graceMs > 0 ? setTimeout(() => server.closeAllConnections(), graceMs) : undefined;
    force?.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
    if (graceMs <= 0) server.closeAllConnections();
  });
}
