/**
 * `bastion workflow start|execute|result|signal|query|stack|cancel|terminate|delete|count`,
 * run as the real binary against an in-process dev server on port 0 with a Bastion worker.
 * Flag mistakes that never reach a server are checked in-process (runCli) to keep the
 * number of processes down.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli-capture';
import { parseJson as json, startCliEnv, type CliEnv } from '../helpers/cli-env';
import { timed } from '../helpers/wait';

const test = suite('bastion workflow commands');

let cli: CliEnv;
const bastion = (args: string[]) => cli.bastion(args);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-wf-cli-'));

test.before(async () => {
  cli = await startCliEnv();
});

test.after(async () => {
  await cli.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
test(
  'start prints the ids; result waits and prints the result as text and JSON',
  timed(150_000, async () => {
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
  }),
);

test(
  'execute starts, waits and prints the result; JSON, jsonl and none',
  timed(150_000, async () => {
    const r = await bastion(['workflow', 'execute', '--type', 'greet', '--task-queue', 'cli', '-i', '"Grace"', '-o', 'json']);
    assert.is(r.code, 0, r.stderr);
    const outcome = json(r.stdout);
    assert.is(outcome.result, 'Hello, Grace!');
    assert.match(outcome.workflowId, /^[0-9a-f-]{36}$/, 'a random id when --workflow-id is not given');
    const none = await bastion(['workflow', 'execute', '--type', 'greet', '--task-queue', 'cli', '-i', '"Nobody"', '-o', 'none']);
    assert.is(none.code, 0, none.stderr);
    assert.is(none.stdout, '');
  }),
);

test(
  'execute of a failing workflow prints the failure and exits 1',
  timed(150_000, async () => {
    const r = await bastion(['workflow', 'execute', '--type', 'failing', '--task-queue', 'cli', '-w', 'f-1']);
    assert.is(r.code, 1);
    assert.match(r.stdout, /Status\s+FAILED/);
    assert.match(r.stdout, /Failure\s+ApplicationFailure\(MyError\): deliberate failure/);
  }),
);

test(
  '--input-file, and JSON checked as the Temporal CLI checks it',
  timed(150_000, async () => {
    const file = path.join(dir, 'name.json');
    fs.writeFileSync(file, '"Hopper"\n');
    const r = await bastion(['workflow', 'execute', '--type', 'greet', '-t', 'cli', '--input-file', file, '-o', 'json']);
    assert.is(r.code, 0, r.stderr);
    assert.is(json(r.stdout).result, 'Hello, Hopper!');
    const b64 = await bastion([
      'workflow',
      'execute',
      '--type',
      'greet',
      '-t',
      'cli',
      '--input-base64',
      '-i',
      Buffer.from('"Turing"').toString('base64'),
      '-o',
      'json',
    ]);
    assert.is(b64.code, 0, b64.stderr);
    assert.is(json(b64.stdout).result, 'Hello, Turing!');
    // Mistakes in flags end before any connection: checked in-process.
    const meta = await runCli(['workflow', 'start', '--type', 'greet', '-t', 'cli', '-i', '1', '--input-meta', 'encoding']);
    assert.is(meta.code, 2);
    assert.match(meta.stderr, /`--input-meta` takes KEY=VALUE/);
    const bad = await runCli(['workflow', 'start', '--type', 'greet', '-t', 'cli', '-i', 'Hopper']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /`--input` #1 is not valid JSON.*Strings need quotes/);
    const both = await runCli(['workflow', 'start', '--type', 'greet', '-t', 'cli', '-i', '1', '--input-file', file]);
    assert.is(both.code, 2);
    assert.match(both.stderr, /`--input` and `--input-file` cannot be combined/);
    const missing = await runCli(['workflow', 'start', '-t', 'cli']);
    assert.is(missing.code, 2);
    assert.match(missing.stderr, /`--type` is required/);
    const output = await runCli(['workflow', 'count', '-o', 'yaml']);
    assert.is(output.code, 2);
    assert.match(output.stderr, /`--output` must be text \(or table\), json, jsonl or none/);
    const policy = await runCli(['workflow', 'start', '--type', 'greet', '-t', 'cli', '--id-reuse-policy', 'Sometimes']);
    assert.is(policy.code, 2);
    assert.match(policy.stderr, /`--id-reuse-policy` must be one of AllowDuplicate, AllowDuplicateFailedOnly, RejectDuplicate, TerminateIfRunning/);
  }),
);

test.run();
