/**
 * `bastion workflow signal|query|stack|cancel|terminate|delete|count` (and `result` of what
 * they end), run as the real binary against an in-process dev server on port 0 with a
 * Bastion worker.
 * Flag mistakes that never reach a server are checked in-process (runCli) to keep the
 * number of processes down.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli-capture';
import { parseJson as json, startCliEnv, type CliEnv } from '../helpers/cli-env';
import { timed } from '../helpers/wait';

const test = suite('bastion workflow signal, query, stack, cancel, terminate, delete');

let cli: CliEnv;
const bastion = (args: string[]) => cli.bastion(args);

test.before(async () => {
  cli = await startCliEnv();
});

test.after(async () => {
  await cli.close();
});
test(
  'signal, query and stack reach the running workflow; cancel ends it',
  timed(150_000, async () => {
    const start = await bastion(['workflow', 'start', '--type', 'accumulate', '-t', 'cli', '-w', 'acc-1', '-i', '5']);
    assert.is(start.code, 0, start.stderr);
    const signal = await bastion(['workflow', 'signal', '-w', 'acc-1', '--name', 'add', '-i', '3']);
    assert.is(signal.code, 0, signal.stderr);
    assert.match(signal.stdout, /Signalled workflow acc-1 in namespace default with signal add/);
    const query = await bastion(['workflow', 'query', '-w', 'acc-1', '--name', 'total', '-o', 'json']);
    assert.is(query.code, 0, query.stderr);
    assert.equal(json(query.stdout), { queryResult: 8 });
    const text = await runCli(['workflow', 'query', '-w', 'acc-1', '--type', 'total', '--address', cli.env.server.address]);
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
  }),
);

test(
  'stack names the activity or timer a workflow waits on',
  timed(150_000, async () => {
    await cli.env.client.workflow.start('sleeper', { taskQueue: 'cli', workflowId: 'sleep-1', args: [600_000] });
    const stack = await bastion(['workflow', 'stack', '-w', 'sleep-1', '-o', 'json']);
    assert.is(stack.code, 0, stack.stderr);
    assert.match(json(stack.stdout).stackTrace, /waiting on timer 1 \(sleep 600s\)/);
  }),
);

test(
  'terminate, then delete; a deleted workflow is not found, and count follows',
  timed(150_000, async () => {
    // Started with the client (workflow start has its own test), counted in-process.
    for (const workflowId of ['term-1', 'del-running']) await cli.env.client.workflow.start('sleeper', { taskQueue: 'cli', workflowId, args: [600_000] });
    const address = ['--address', cli.env.server.address];
    const before = json((await runCli(['workflow', 'count', '--query', "WorkflowType = 'sleeper'", '-o', 'json', ...address])).stdout).count as number;
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
      const describe = await runCli(['workflow', 'describe', '-w', id, ...address]);
      assert.is(describe.code, 1);
      assert.match(describe.stderr, new RegExp(`Workflow ${id} was not found in namespace default`));
    }
    const after = await bastion(['workflow', 'count', '--query', "WorkflowType = 'sleeper'"]);
    assert.is(after.code, 0, after.stderr);
    assert.is(after.stdout, `Total: ${before - 2}\n`);
    const again = await runCli(['workflow', 'delete', '-w', 'term-1', ...address]);
    assert.is(again.code, 1);
    assert.match(again.stderr, /Workflow term-1 was not found/);
  }),
);

test.run();
