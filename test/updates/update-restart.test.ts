/**
 * Updates survive a dev server restart on the same `--db-filename`: an update admitted
 * before the restart (no worker polled yet; the call was answered with stage ADMITTED as
 * its deadline neared) is delivered and completed after it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { temporal } from '@temporalio/proto';
import { DevServer } from '../../src/testing';
import { Connection } from '../../src/connection';
import { Client, defaultPayloadConverter } from '../../src/client';
import { Worker } from '../../src/worker';
import * as activities from '../fixtures/bastion-activities';
import { bastionBundle, quietLogger } from '../helpers/bastion-env';
import { UPDATE_WORKFLOWS_PATH } from '../helpers/update-env';
import { timed } from '../helpers/wait';
import { counter, finish } from '../fixtures/update-workflows';

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

test(
  'an admitted update is kept across a restart with --db-filename and completes after it',
  timed(60_000, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-update-restart-'));
    const dbFilename = path.join(dir, 'dev.db');
    const bundling = bastionBundle(UPDATE_WORKFLOWS_PATH); // meanwhile
    try {
      let server = await DevServer.start({ logLevel: 'off', dbFilename });
      let connection = await Connection.connect({ address: server.address });
      const client = () => new Client({ connection });
      const h = await client().workflow.start(counter, { taskQueue: 'restart-q', workflowId: 'restart-1', args: [7] });
      // The server answers 2 s before the deadline with the stage reached.
      const res = await connection.withDeadline(Date.now() + 2500, () =>
        connection.workflowService.updateWorkflowExecution({
          namespace: 'default',
          workflowExecution: { workflowId: h.workflowId },
          waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED },
          request: { meta: { updateId: 'before-restart' }, input: { name: 'add', args: { payloads: [defaultPayloadConverter.toPayload(3)] } } },
        }),
      );
      assert.is(res.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
      const address = server.address;
      await connection.close();
      await server.close();
      server = await DevServer.start({ logLevel: 'off', dbFilename, port: Number(address.split(':').pop()) });
      connection = await Connection.connect({ address: server.address });
      const { code } = await bundling;
      const worker = await Worker.create({
        connection,
        taskQueue: 'restart-q',
        workflowBundle: { code },
        activities,
        shutdownSignals: [],
        logger: quietLogger,
      });
      await worker.runUntil(async () => {
        const again = client().workflow.getHandle(h.workflowId);
        assert.is(await again.getUpdateHandle<number>('before-restart').result(), 10);
        assert.is(await again.executeUpdate(finish), 10);
        assert.is(await again.result(), 10);
      });
      await connection.close();
      await server.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test.run();
