/**
 * Payload codec helpers for tests: an EncryptionCodec on a key made at test time, the
 * codec fixture activities for either SDK, searching raw server history for plaintext,
 * and (run as a script) an official @temporalio/worker configured with the codec.
 *
 * Script env: ADDRESS, TASK_QUEUE, CODEC_KEY (base64; never printed).
 */
import * as path from 'node:path';
import { EncryptionCodec, KeyRing } from '../../codecs';
import { ApplicationFailure } from '../../src/converter';
import { rejection } from './errors';

/** A fresh 32-byte key, base64 (pass it to a child process through its environment, never print it). */
export function newCodecKey(): string {
  return Buffer.from(KeyRing.generateKey()).toString('base64');
}

/** An EncryptionCodec with `key` (base64) as its only, active key. */
export function encryptionCodec(key: string, bindToContext = true): Promise<EncryptionCodec> {
  return EncryptionCodec.create({ keyRing: new KeyRing({ active: 'test-k1', keys: { 'test-k1': Buffer.from(key, 'base64') } }), bindToContext });
}

/**
 * The activities of test/fixtures/codec-workflows, given the SDK's `heartbeat`. `release` is
 * awaited by `heartbeatThenFinish` after its heartbeat: a test that reads the pending-activity
 * record passes a promise it resolves once it has read it (no timer decides how long the
 * activity stays running).
 */
export function codecActivities(
  heartbeat: (details: unknown) => void,
  makeFailure: (message: string) => Error = (message) => ApplicationFailure.create({ message, type: 'Declined', nonRetryable: true }),
  release: () => Promise<void> = async () => {},
) {
  return {
    async echo(text: string): Promise<string> {
      return `${text}-ACTIVITY-OUT`;
    },
    async failAfterHeartbeat(detail: string, message: string): Promise<never> {
      heartbeat({ detail });
      throw makeFailure(message);
    },
    /** Heartbeats, then stays running until `release` resolves (the test has read the pending-activity record). */
    async heartbeatThenFinish(detail: string): Promise<string> {
      heartbeat({ detail });
      await release();
      return 'finished';
    },
  };
}

/** Every plaintext marker found anywhere in `data` (bytes of a serialized history, or its JSON). */
export function leakedMarkers(data: Uint8Array | string, markers: string[]): string[] {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  return markers.filter((m) => text.includes(m));
}

async function runOfficialWorker(): Promise<void> {
  const { Worker, NativeConnection, Runtime, DefaultLogger } = await import('@temporalio/worker');
  const activity = await import('@temporalio/activity');
  const common = await import('@temporalio/common');
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  const codec = await encryptionCodec(process.env.CODEC_KEY!);
  const connection = await NativeConnection.connect({ address: process.env.ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TASK_QUEUE!,
    workflowsPath: path.resolve(__dirname, '../fixtures/codec-workflows.js'),
    activities: codecActivities(
      (d) => activity.Context.current().heartbeat(d),
      (message) => common.ApplicationFailure.create({ message, type: 'Declined', nonRetryable: true }),
    ),
    dataConverter: { payloadCodecs: [codec] },
    stickyQueueScheduleToStartTimeout: '1s',
  });
  process.stdout.write('worker running\n');
  await worker.run();
}

if (require.main === module) {
  runOfficialWorker().catch((err) => {
    process.stderr.write(`worker failed: ${(err as Error)?.message ?? err}\n`);
    process.exit(1);
  });
}

/** The error `p` rejects with; fails the test when `p` resolves or rejects with anything but a `Type`. */
/** @deprecated kept for the codec suites: {@link rejection} from ./errors with a class. */
export function rejectionOf<T extends Error>(p: Promise<unknown>, Type: abstract new (...args: never[]) => T): Promise<T> {
  return rejection(p, Type);
}
