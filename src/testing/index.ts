/**
 * Test helpers: an embedded Temporal-compatible development server.
 *
 * ```ts
 * import { DevServer } from 'bastion-temporal/testing';
 * const server = await DevServer.start();            // port 0: any free port
 * // connect any Temporal SDK to server.address
 * await server.close();
 * ```
 */
export { DevServer, DEFAULT_BLOB_SIZE_LIMIT_BYTES, DEFAULT_DEV_SERVER_IP, DEFAULT_DEV_SERVER_PORT } from '../server/dev-server';
export type { DevServerOptions, DevServerTlsOptions, PemSource } from '../server/dev-server';
export type { DevServerApiKey } from '../server/api-keys';
export { BastionError, ServerError } from '../common/errors';
