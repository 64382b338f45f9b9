/** Replaying histories from JSON (as `workflow show --output json` writes them), one or many. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { WorkflowNotFoundError } from '../../src/client';
import { historyToJson } from '../../src/engine/history-json';
import { startBastionEnv, bastionBundle } from '../helpers/bastion-env';
import { timed } from '../helpers/wait';
import { liveContextsAfterGc } from '../helpers/gc';

test(
  'histories exported as proto3 JSON replay, singly and in bulk; a changed workflow is reported per history',
  timed(60_000, async () => {
    const env = await startBastionEnv();
    const worker = await env.worker('replay-json');
    const jsons: string[] = [];
    try {
      await worker.runUntil(async () => {
        for (const [wf, args] of [
          ['greet', ['a']],
          ['parallel', [2]],
          ['localGreet', ['b']],
        ] as const) {
          const h = await env.client.workflow.start(wf, { taskQueue: 'replay-json', workflowId: `replay-${wf}`, args: [...args] });
          await h.result();
          const raw = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: h.workflowId } });
          jsons.push(JSON.stringify(historyToJson(raw.history!)));
        }
      });
      const { code } = await bastionBundle();
      for (const j of jsons) await Worker.runReplayHistory({ workflowBundle: { code } }, j);
      await Worker.runReplayHistory({ workflowBundle: { code } }, JSON.parse(jsons[0]!));
      // Each call's sandbox context goes when the call returns (it used to stay reachable
      // from Node's list of enabled AsyncLocalStorage instances: ~390 KB per call).
      const contexts = await liveContextsAfterGc();
      for (let i = 0; i < 8; i++) await Worker.runReplayHistory({ workflowBundle: { code } }, jsons[1]!);
      const kept = (await liveContextsAfterGc()) - contexts;
      assert.ok(kept <= 1, `8 replays kept ${kept} sandbox contexts alive`);
      const changed = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/changed-workflows.js') });
      const results = [];
      for await (const r of Worker.runReplayHistories({ workflowBundle: changed }, jsons.slice(0, 1))) results.push(r);
      assert.is(results.length, 1);
      assert.is(results[0]!.workflowId, 'replay-greet');
      assert.is((results[0]!.error as any)?.code, 'ERR_NONDETERMINISM');
      const notFound = await env.client.workflow
        .getHandle('no-such-workflow')
        .describe()
        .catch((e) => e);
      assert.instance(notFound, WorkflowNotFoundError);
      assert.match(notFound.message, /no-such-workflow was not found/);
    } finally {
      await env.close();
    }
  }),
);

test.run();
