/**
 * A workflow task that fails on every attempt (here: a duration no format accepts) is not
 * a silent retry loop: the worker logs the first failure at error level naming the option
 * and the value, later attempts only at a few milestones; `bastion workflow describe` shows
 * the failing task with its cause; a query answers at once with that cause.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startBastionEnv } from '../helpers/bastion-env';
import { useEnv } from '../helpers/use-env';
import { runCli } from '../helpers/cli-capture';
import { rejection } from '../helpers/errors';
import { timed, waitFor } from '../helpers/wait';

const test = suite('a workflow task failing on every attempt');
const env = useEnv(test, () => startBastionEnv());

test(
  'logged once at error with the option and value; describe shows attempt, cause and failure; a query answers with the cause',
  timed(60_000, async () => {
    const lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
    const record = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
    const worker = await env().worker('failing-task', {
      logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    });
    await worker.runUntil(async () => {
      const handle = await env().client.workflow.start('badDuration', { taskQueue: 'failing-task', workflowId: 'failing-task-1', args: ['x'] });
      // Let the server retry the task a few times.
      await waitFor(async () => Number((await handle.describe()).raw.pendingWorkflowTask?.attempt ?? 0) >= 3, 30_000, 'three attempts');
      const errors = lines.filter((l) => l.level === 'error');
      assert.is(errors.length, 1, `one error line for the run: ${JSON.stringify(errors)}`);
      assert.match(errors[0]!.message, /workflow task failed.*the server retries the task/);
      assert.match(String(errors[0]!.meta?.error), /`startToCloseTimeout` must be a duration.*"1 fortnight"/);
      assert.is(errors[0]!.meta?.workflowType, 'badDuration');

      const described = await runCli(['workflow', 'describe', '--address', env().server.address, '--workflow-id', 'failing-task-1']);
      assert.is(described.code, 0, described.stderr);
      assert.match(described.stdout, /Workflow task: failing, attempt \d+/);
      assert.match(described.stdout, /Cause\s+WorkflowWorkerUnhandledFailure/, described.stdout);
      assert.match(described.stdout, /Last failure\s+.*startToCloseTimeout.*1 fortnight/);

      const err = await rejection(handle.query('total'));
      assert.match(err.message, /startToCloseTimeout.*1 fortnight/);
      await handle.terminate('test over');
    });
  }),
);

test.run();
