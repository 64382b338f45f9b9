/**
 * Test helpers: an embedded Temporal-compatible development server, test environments with
 * time skipping, and a mock activity environment.
 *
 * ```ts
 * import { TestWorkflowEnvironment, MockActivityEnvironment, DevServer } from 'bastion-temporal/testing';
 * const env = await TestWorkflowEnvironment.createTimeSkipping();   // in process, port 0
 * // Worker.create({ connection: env.connection, ... }); env.client.workflow.execute(...)
 * await env.sleep('1 day');                                         // skips a day
 * await env.teardown();
 * ```
 */
export { DevServer, DEFAULT_BLOB_SIZE_LIMIT_BYTES, DEFAULT_DEV_SERVER_IP, DEFAULT_DEV_SERVER_PORT } from '../server/dev-server';
export type { DevServerOptions, DevServerTlsOptions, PemSource } from '../server/dev-server';
export type { DevServerApiKey } from '../server/api-keys';
export { RealClock, TimeSkippingClock } from '../server/clock';
export type { ServerClock } from '../server/clock';
export { TestWorkflowEnvironment } from './test-workflow-environment';
export type { TestWorkflowEnvironmentOptions, ExistingServerOptions } from './test-workflow-environment';
export { MockActivityEnvironment, defaultActivityInfo } from './mock-activity-environment';
export type { MockActivityEnvironmentOptions } from './mock-activity-environment';
export { BastionError, ServerError } from '../common/errors';
