/**
 * For tests of the `bastion` binary against a workflow that really runs: an in-process dev
 * server on port 0 with a running Bastion worker on task queue `cli`, and `bastion(args)`
 * that spawns bin/bastion.js with `--address` and a clean TEMPORAL_* environment.
 */
import type { Worker, WorkerOptions } from '../../src/worker';
import { startBastionEnv, type BastionEnv } from './bastion-env';
import { BIN, runNode } from './processes';

/** The user's TEMPORAL_* settings must not reach the child. */
export const CLEAN_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'TEMPORAL_API_KEY',
    'TEMPORAL_TLS',
    'TEMPORAL_PROFILE',
    'TEMPORAL_CODEC_ENDPOINT',
    'TEMPORAL_CODEC_AUTH',
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    'TEMPORAL_TLS_CLIENT_KEY_PATH',
    'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  ].map((n) => [n, '']),
);

export interface CliEnv {
  env: BastionEnv;
  /** Runs `bastion ...args --address <dev server>` to its end. */
  bastion(args: string[], extraEnv?: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** Starts the dev server and one running worker per entry of `queues` (task queue → extra options). */
export async function startCliEnv(queues: Record<string, Partial<WorkerOptions>> = { cli: {} }): Promise<CliEnv> {
  const env = await startBastionEnv();
  const workers: Worker[] = [];
  for (const [queue, extra] of Object.entries(queues)) workers.push(await env.worker(queue, extra));
  const running = workers.map((w) => w.run());
  return {
    env,
    bastion: (args, extraEnv = {}) => runNode([BIN, ...args, '--address', env.server.address], { ...CLEAN_ENV, ...extraEnv }),
    async close() {
      for (const w of workers) void w.shutdown();
      await Promise.all(running);
      await env.close();
    },
  };
}

/** Parses a command's JSON output. */
export const parseJson = (out: string): Record<string, any> => JSON.parse(out) as Record<string, any>;
