/**
 * `bastion workflow start|execute|result|signal|query|stack|cancel|terminate|delete|count`
 * and `bastion operator namespace list|describe|create`, run as the real binary against an
 * in-process dev server on port 0 with a Bastion worker; payloads through a real codec
 * server with the encryption codec (`--codec-endpoint`, `--codec-auth`); `--grpc-meta`
 * against a dev server that requires an API key.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createCodecServer, type CodecServer } from '../../codecs/codec-server';
import { DevServer } from '../../src/testing';
import type { Worker } from '../../src/worker';
import { startBastionEnv, type BastionEnv } from '../helpers/bastion-env';
import { BIN, freePort, runNode } from '../helpers/processes';
import { encryptionCodec, newCodecKey } from '../helpers/test-codec';
import { timed } from '../helpers/wait';

const test = suite('bastion workflow and operator namespace commands');

const TOKEN = 'cli-test-token-4f1d';
/** The user's TEMPORAL_* settings must not reach the child. */
const CLEAN_ENV = Object.fromEntries(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS', 'TEMPORAL_PROFILE', 'TEMPORAL_CODEC_ENDPOINT', 'TEMPORAL_CODEC_AUTH', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'].map((n) => [n, '']));

let env: BastionEnv;
let workers: Worker[] = [];
let running: Array<Promise<void>> = [];
let codecServer: CodecServer;
let codecUrl: string;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-wf-cli-'));

async function bastion(args: string[], extraEnv: Record<string, string> = {}) {
  return runNode([BIN, ...args, '--address', env.server.address], { ...CLEAN_ENV, ...extraEnv });
}

const json = (out: string) => JSON.parse(out) as Record<string, any>;

test.before(async () => {
  env = await startBastionEnv();
  const key = newCodecKey();
  // The codec server is told no workflow id (neither is the Temporal CLI's): no context binding.
  const codec = await encryptionCodec(key, false);
  workers = [await env.worker('cli'), await env.worker('cli-enc', { dataConverter: { payloadCodecs: [codec] } })];
  running = workers.map((w) => w.run());
  codecServer = createCodecServer({ codec: await encryptionCodec(key, false), auth: { tokens: [TOKEN] } });
  codecUrl = (await codecServer.listen(0)).url;
});

test.after(async () => {
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await codecServer.close();
  await env.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('start prints the ids; result waits and prints the result as text and JSON', timed(60_000, async () => {
  const start = await bastion(['workflow', 'start', '--type', 'greet', '--task-queue', 'cli', '--workflow-id', 'g-1', '--input', '"Ada"']);
  assert.is(start.code, 0, start.stderr);
  assert.match(start.stdout, /Running execution:\n\s+Workflow ID\s+g-1\n\s+Run ID\s+[0-9a-f-]{36}\n\s+Type\s+greet/);
  const text = await bastion(['workflow', 'result', '-w', 'g-1']);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /Status\s+COMPLETED/);
  assert.match(text.stdout, /Result\s+"Hello, Ada!"/);
  const asJson = await bastion(['workflow', 'result', '-w', 'g-1', '-o', 'json']);
  const outcome = json(asJson.stdout);
  assert.is(outcome.status, 'COMPLETED');
  assert.is(outcome.result, 'Hello, Ada!');
  assert.is(outcome.workflowId, 'g-1');
  const startJson = await bastion(['workflow', 'start', '--type', 'greet', '-t', 'cli', '-w', 'g-1', '--output', 'json', '-i', '"again"', '--id-reuse-policy', 'RejectDuplicate']);
  assert.is(startJson.code, 1, 'a closed id with RejectDuplicate is refused');
  assert.match(startJson.stderr, /StartWorkflowExecution failed|already/);
}));

test('execute starts, waits and prints the result; JSON, jsonl and none', timed(60_000, async () => {
  const r = await bastion(['workflow', 'execute', '--type', 'greet', '--task-queue', 'cli', '-i', '"Grace"', '-o', 'json']);
  assert.is(r.code, 0, r.stderr);
  const outcome = json(r.stdout);
  assert.is(outcome.result, 'Hello, Grace!');
  assert.match(outcome.workflowId, /^[0-9a-f-]{36}$/, 'a random id when --workflow-id is not given');
  const lines = await bastion(['workflow', 'execute', '--type', 'greet', '--task-queue', 'cli', '-i', '"Lin"', '-o', 'jsonl']);
  assert.is(lines.stdout.trim().split('\n').length, 1);
  assert.is(json(lines.stdout).result, 'Hello, Lin!');
  const none = await bastion(['workflow', 'execute', '--type', 'greet', '--task-queue', 'cli', '-i', '"Nobody"', '-o', 'none']);
  assert.is(none.code, 0, none.stderr);
  assert.is(none.stdout, '');
}));

test('execute of a failing workflow prints the failure and exits 1', timed(60_000, async () => {
  const r = await bastion(['workflow', 'execute', '--type', 'failing', '--task-queue', 'cli', '-w', 'f-1']);
  assert.is(r.code, 1);
  assert.match(r.stdout, /Status\s+FAILED/);
  assert.match(r.stdout, /Failure\s+ApplicationFailure\(MyError\): deliberate failure/);
}));

test('signal, query and stack reach the running workflow; cancel ends it', timed(60_000, async () => {
  const start = await bastion(['workflow', 'start', '--type', 'accumulate', '-t', 'cli', '-w', 'acc-1', '-i', '5']);
  assert.is(start.code, 0, start.stderr);
  const signal = await bastion(['workflow', 'signal', '-w', 'acc-1', '--name', 'add', '-i', '3']);
  assert.is(signal.code, 0, signal.stderr);
  assert.match(signal.stdout, /Signalled workflow acc-1 in namespace default with signal add/);
  const query = await bastion(['workflow', 'query', '-w', 'acc-1', '--name', 'total', '-o', 'json']);
  assert.is(query.code, 0, query.stderr);
  assert.equal(json(query.stdout), { queryResult: 8 });
  const text = await bastion(['workflow', 'query', '-w', 'acc-1', '--type', 'total']);
  assert.match(text.stdout, /Query result:\n\s+8/);
  const unknown = await bastion(['workflow', 'query', '-w', 'acc-1', '--name', 'nope']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /Query nope of workflow acc-1 failed: .*nope.*total/);
  const stack = await bastion(['workflow', 'stack', '-w', 'acc-1']);
  assert.is(stack.code, 0, stack.stderr);
  assert.match(stack.stdout, /waiting on 1 condition \(workflow\.condition\)/);
  const cancel = await bastion(['workflow', 'cancel', '-w', 'acc-1', '--reason', 'test over']);
  assert.is(cancel.code, 0, cancel.stderr);
  assert.match(cancel.stdout, /Cancellation requested for workflow acc-1/);
  const result = await bastion(['workflow', 'result', '-w', 'acc-1', '-o', 'json']);
  assert.is(result.code, 1);
  assert.is(json(result.stdout).status, 'CANCELED');
}));

test('stack names the activity or timer a workflow waits on', timed(60_000, async () => {
  await bastion(['workflow', 'start', '--type', 'sleeper', '-t', 'cli', '-w', 'sleep-1', '-i', '600000']);
  const stack = await bastion(['workflow', 'stack', '-w', 'sleep-1', '-o', 'json']);
  assert.is(stack.code, 0, stack.stderr);
  assert.match(json(stack.stdout).stackTrace, /waiting on timer 1 \(sleep 600s\)/);
}));

test('terminate, then delete; a deleted workflow is not found, and count follows', timed(60_000, async () => {
  await bastion(['workflow', 'start', '--type', 'sleeper', '-t', 'cli', '-w', 'term-1', '-i', '600000']);
  await bastion(['workflow', 'start', '--type', 'sleeper', '-t', 'cli', '-w', 'del-running', '-i', '600000']);
  const before = json((await bastion(['workflow', 'count', '--query', "WorkflowType = 'sleeper'", '-o', 'json'])).stdout).count as number;
  const term = await bastion(['workflow', 'terminate', '-w', 'term-1', '--reason', 'stuck']);
  assert.is(term.code, 0, term.stderr);
  const result = await bastion(['workflow', 'result', '-w', 'term-1']);
  assert.is(result.code, 1);
  assert.match(result.stdout, /Status\s+TERMINATED/);
  assert.match(result.stdout, /Failure\s+terminated: stuck/);
  for (const id of ['term-1', 'del-running']) {
    const del = await bastion(['workflow', 'delete', '-w', id, '-o', 'json']);
    assert.is(del.code, 0, del.stderr);
    assert.equal(json(del.stdout), { workflowId: id, namespace: 'default' });
    const describe = await bastion(['workflow', 'describe', '-w', id]);
    assert.is(describe.code, 1);
    assert.match(describe.stderr, new RegExp(`Workflow ${id} was not found in namespace default`));
  }
  const after = await bastion(['workflow', 'count', '--query', "WorkflowType = 'sleeper'"]);
  assert.is(after.code, 0, after.stderr);
  assert.is(after.stdout, `Total: ${before - 2}\n`);
  const again = await bastion(['workflow', 'delete', '-w', 'term-1']);
  assert.is(again.code, 1);
  assert.match(again.stderr, /Workflow term-1 was not found/);
}));

test('--input-file, and JSON checked as the Temporal CLI checks it', timed(60_000, async () => {
  const file = path.join(dir, 'name.json');
  fs.writeFileSync(file, '"Hopper"\n');
  const r = await bastion(['workflow', 'execute', '--type', 'greet', '-t', 'cli', '--input-file', file, '-o', 'json']);
  assert.is(r.code, 0, r.stderr);
  assert.is(json(r.stdout).result, 'Hello, Hopper!');
  const bad = await bastion(['workflow', 'start', '--type', 'greet', '-t', 'cli', '-i', 'Hopper']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /`--input` #1 is not valid JSON.*Strings need quotes/);
  const both = await bastion(['workflow', 'start', '--type', 'greet', '-t', 'cli', '-i', '1', '--input-file', file]);
  assert.is(both.code, 2);
  assert.match(both.stderr, /`--input` and `--input-file` cannot be combined/);
  const missing = await bastion(['workflow', 'start', '-t', 'cli']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /`--type` is required/);
  const output = await bastion(['workflow', 'count', '-o', 'yaml']);
  assert.is(output.code, 2);
  assert.match(output.stderr, /`--output` must be text, json, jsonl or none/);
}));

test('operator namespace create, describe and list', timed(60_000, async () => {
  const create = await bastion(['operator', 'namespace', 'create', 'orders', '--retention', '48h', '--description', 'order workflows']);
  assert.is(create.code, 0, create.stderr);
  assert.match(create.stdout, /Namespace orders created/);
  const dup = await bastion(['operator', 'namespace', 'create', '--namespace', 'orders']);
  assert.is(dup.code, 1);
  assert.match(dup.stderr, /Namespace orders already exists/);
  const describe = await bastion(['operator', 'namespace', 'describe', 'orders', '-o', 'json']);
  assert.is(describe.code, 0, describe.stderr);
  const d = json(describe.stdout);
  assert.is(d.namespaceInfo.name, 'orders');
  assert.is(d.namespaceInfo.description, 'order workflows');
  assert.is(d.config.workflowExecutionRetentionTtl, '172800s');
  const text = await bastion(['operator', 'namespace', 'describe', '-n', 'orders']);
  assert.match(text.stdout, /Name\s+orders\n\s+ID\s+[0-9a-f-]{36}\n\s+State\s+Registered/);
  const list = await bastion(['operator', 'namespace', 'list', '-o', 'jsonl']);
  const names = list.stdout.trim().split('\n').map((l) => json(l).namespaceInfo.name);
  assert.ok(names.includes('default') && names.includes('orders'), list.stdout);
  const table = await bastion(['operator', 'namespace', 'list']);
  assert.match(table.stdout, /^NAME\s+STATE\s+RETENTION\s+DESCRIPTION\n/);
  assert.match(table.stdout, /orders\s+Registered\s+172800s\s+order workflows/);
  const missing = await bastion(['operator', 'namespace', 'describe', 'nope']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /Namespace nope was not found/);
}));

test('--codec-endpoint encodes the input and decodes the result through a codec server with the encryption codec', timed(60_000, async () => {
  const codecFlags = ['--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${TOKEN}`];
  const r = await bastion(['workflow', 'execute', '--type', 'greet', '-t', 'cli-enc', '-w', 'enc-1', '-i', '"Secret Agent"', '-o', 'json', ...codecFlags]);
  assert.is(r.code, 0, r.stderr);
  assert.is(json(r.stdout).result, 'Hello, Secret Agent!');
  // Without the codec the result is still ciphertext.
  const raw = await bastion(['workflow', 'result', '-w', 'enc-1', '-o', 'json']);
  assert.equal(json(raw.stdout).result.encoding, 'binary/encrypted');
  assert.not.match(raw.stdout, /Secret Agent/);
  // The history, decoded through the codec server.
  const show = await bastion(['workflow', 'show', '-w', 'enc-1', '-o', 'json', ...codecFlags]);
  assert.is(show.code, 0, show.stderr);
  const events = json(show.stdout).events as Array<Record<string, any>>;
  const started = events[0]!.workflowExecutionStartedEventAttributes;
  const payload = started.input.payloads[0];
  assert.is(Buffer.from(payload.metadata.encoding, 'base64').toString(), 'json/plain');
  assert.is(Buffer.from(payload.data, 'base64').toString(), '"Secret Agent"');
  const plainShow = await bastion(['workflow', 'show', '-w', 'enc-1']);
  assert.match(plainShow.stdout, /input=<binary\/encrypted, \d+ bytes>/);
  const decodedText = await bastion(['workflow', 'show', '-w', 'enc-1', ...codecFlags]);
  assert.match(decodedText.stdout, /input="Secret Agent"/);
  assert.match(decodedText.stdout, /result="Hello, Secret Agent!"/);
}));

test('a codec server that refuses the token is named, with the flag to fix it, and no payload', timed(60_000, async () => {
  const wrong = await bastion(['workflow', 'result', '-w', 'enc-1', '--codec-endpoint', codecUrl, '--codec-auth', 'Bearer wrong-token']);
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, new RegExp(`The codec server at ${codecUrl.replace(/[.]/g, '\\.')}/decode answered HTTP 401: .*--codec-auth "Bearer TOKEN"\` \\(the one given was refused\\)`));
  assert.not.match(wrong.stderr, /wrong-token|Secret/);
  const none = await bastion(['workflow', 'result', '-w', 'enc-1', '--codec-endpoint', codecUrl]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /HTTP 401.*Pass the codec server's token with `--codec-auth/);
  const closedPort = await freePort();
  const down = await bastion(['workflow', 'result', '-w', 'enc-1', '--codec-endpoint', `http://127.0.0.1:${closedPort}`]);
  assert.is(down.code, 1);
  assert.match(down.stderr, new RegExp(`The codec server at \`--codec-endpoint\` http://127\\.0\\.0\\.1:${closedPort} could not be reached to decode \\(ECONNREFUSED\\)`));
  const badUrl = await bastion(['workflow', 'count', '--codec-endpoint', 'localhost:8888']);
  assert.is(badUrl.code, 2);
  assert.match(badUrl.stderr, /`--codec-endpoint` must be an http:\/\/ or https:\/\/ URL/);
}));

test('--grpc-meta sends headers: a server that requires an API key accepts it as authorization', timed(60_000, async () => {
  const locked = await DevServer.start({ logLevel: 'off', apiKeys: ['key-12345678'] });
  try {
    const run = (args: string[]) => runNode([BIN, 'workflow', 'count', '--address', locked.address, ...args], CLEAN_ENV);
    const refused = await run([]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /UNAUTHENTICATED|authorization/i);
    const ok = await run(['--grpc-meta', 'authorization=Bearer key-12345678', '--grpc-meta', 'x-team=payments']);
    assert.is(ok.code, 0, ok.stderr);
    assert.is(ok.stdout, 'Total: 0\n');
    const bad = await run(['--grpc-meta', 'no-equals-sign']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /`--grpc-meta` takes KEY=VALUE/);
  } finally {
    await locked.close();
  }
}));

test.run();
