/**
 * Records histories of the `sequence(n)` bench workflow (5 + 6n events) for the replay
 * benchmark: runs them on Bastion's worker against a dev server of its own, fetches each
 * history with the official client and writes it as a binary `History` message, which
 * both SDKs' replayers take once decoded.
 *
 * Usage: node dist/bench/history-gen.js --out DIR --events 10,100,1000,5000
 * Prints one JSON line: `{ ok, files: { "<events>": { path, events } } }`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startServer, flags } from './bench-util';
import { createWorker } from './bench-stack';

async function main(): Promise<void> {
  const get = flags(process.argv.slice(2));
  const out = get('out');
  if (!out) throw new Error('`--out DIR` is required.');
  const targets = (get('events') ?? '10,100,1000,5000').split(',').map(Number);
  fs.mkdirSync(out, { recursive: true });
  const server = await startServer();
  const files: Record<string, { path: string; events: number }> = {};
  try {
    const { Connection, Client } = await import('@temporalio/client');
    const { temporal } = await import('@temporalio/proto');
    const taskQueue = `bench-history-${process.pid}`;
    const worker = await createWorker('bastion', { address: server.address }, taskQueue);
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    await worker.runUntil(async () => {
      for (const target of targets) {
        const n = Math.max(1, Math.round((target - 5) / 6));
        const handle = await client.workflow.start('sequence', { taskQueue, workflowId: `history-${target}-${Date.now()}`, args: [n] });
        await handle.result();
        const history = await handle.fetchHistory();
        const p = path.join(out, `history-${target}.bin`);
        fs.writeFileSync(p, temporal.api.history.v1.History.encode(history).finish());
        files[String(target)] = { path: p, events: history.events?.length ?? 0 };
        process.stderr.write(`history of ${history.events?.length} events written\n`);
      }
    });
    await connection.close();
    await worker.close();
  } finally {
    await server.stop();
  }
  process.stdout.write(JSON.stringify({ ok: true, files }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String((err as Error)?.stack ?? err) }) + '\n');
  process.exit(1);
});
