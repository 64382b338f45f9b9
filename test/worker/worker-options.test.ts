/** Worker options: unknown and official-only options are refused with a hint; BASTION_WORKFLOW_THREADS is validated. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileWorkerOptions } from '../../src/worker/worker-options';

const base = { taskQueue: 'q', activities: { a: async () => 1 } };

function refusal(options: Record<string, unknown>): { code: string; message: string } {
  try {
    compileWorkerOptions({ ...base, ...options } as never);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error(`accepted ${JSON.stringify(Object.keys(options))}`);
}

test('isolateExecutionTimeout is refused, naming activationTimeout', () => {
  const err = refusal({ isolateExecutionTimeout: '2s' });
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, /^`isolateExecutionTimeout` is not a `Worker.create` option\. Bastion calls it `activationTimeout`/);
});

test('bundlerOptions points at ignoreModules; other official-only options say what to do', () => {
  assert.match(refusal({ bundlerOptions: { ignoreModules: ['fs'] } }).message, /Pass `ignoreModules` directly/);
  assert.match(refusal({ maxConcurrentLocalActivityExecutions: 5 }).message, /share `maxConcurrentWorkflowTaskExecutions`/);
  assert.match(refusal({ buildId: 'x' }).message, /worker versioning/);
});

test('a misspelt option is refused, listing the known ones', () => {
  const err = refusal({ maxCachedWorkflow: 10 });
  assert.match(err.message, /^`maxCachedWorkflow` is not a `Worker.create` option\. Known options: .*`maxCachedWorkflows`/);
});

test('an option given as undefined is ignored, as if absent', () => {
  assert.is(compileWorkerOptions({ ...base, isolateExecutionTimeout: undefined } as never).taskQueue, 'q');
});

test('BASTION_WORKFLOW_THREADS: a whole number is the default thread count; anything else is refused', () => {
  const saved = process.env.BASTION_WORKFLOW_THREADS;
  try {
    process.env.BASTION_WORKFLOW_THREADS = '3';
    assert.is(compileWorkerOptions(base).workflowThreadPoolSize, 3);
    assert.is(compileWorkerOptions({ ...base, workflowThreadPoolSize: 0 }).workflowThreadPoolSize, 0, 'the option wins');
    for (const bad of ['two', '-1', '1.5', '1e3', 'NaN']) {
      process.env.BASTION_WORKFLOW_THREADS = bad;
      const err = refusal({});
      assert.is(err.code, 'ERR_INVALID_OPTION');
      assert.match(err.message, /^`BASTION_WORKFLOW_THREADS` \(environment variable\) must be a whole number/);
    }
    delete process.env.BASTION_WORKFLOW_THREADS;
    assert.is(compileWorkerOptions(base).workflowThreadPoolSize, 1);
  } finally {
    if (saved === undefined) delete process.env.BASTION_WORKFLOW_THREADS;
    else process.env.BASTION_WORKFLOW_THREADS = saved;
  }
});

test('connectionStallThreshold: 90 s by default, a duration, never zero', () => {
  assert.is(compileWorkerOptions(base as never).connectionStallThresholdMs, 90_000);
  assert.is(compileWorkerOptions({ ...base, connectionStallThreshold: '2 minutes' } as never).connectionStallThresholdMs, 120_000);
  const err = refusal({ connectionStallThreshold: 0 });
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, /^`connectionStallThreshold` must be longer than zero/);
});

test.run();
