/**
 * A uvu suite with a dev server and an official client Connection, for tests that
 * drive the WorkflowService with raw calls.
 */
import { suite, type Test } from 'uvu';
import { Connection } from '@temporalio/client';
import { DevServer, type DevServerOptions } from '../../src/testing';

export interface RawServerSuite {
  test: Test;
  /** The raw WorkflowService of the suite's connection. */
  svc(): Connection['workflowService'];
  connection(): Connection;
  server(): DevServer;
}

export function rawServerSuite(name: string, options: DevServerOptions = {}): RawServerSuite {
  const test = suite(name);
  let server: DevServer | undefined;
  let conn: Connection | undefined;
  test.before(async () => {
    server = await DevServer.start({ logLevel: 'off', ...options });
    conn = await Connection.connect({ address: server.address });
  });
  test.after(async () => {
    await conn?.close();
    await server?.close();
  });
  return { test, svc: () => conn!.workflowService, connection: () => conn!, server: () => server! };
}
