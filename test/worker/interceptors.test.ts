/** Interceptors: client → workflow inbound → workflow outbound → activity inbound, headers all the way. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { Client } from '../../src/client';
import { defaultPayloadConverter } from '../../src/converter';
import { startBastionEnv, quietLogger, WORKFLOWS_PATH } from '../helpers/bastion-env';
import { timed } from '../helpers/wait';

test(
  'a trace header set by a client interceptor reaches the workflow and the activity',
  timed(60_000, async () => {
    const env = await startBastionEnv();
    const seen: string[] = [];
    const client = new Client({
      connection: env.connection,
      interceptors: {
        workflow: [
          {
            start(input, next) {
              seen.push(`client start ${input.workflowType}`);
              return next({ ...input, headers: { ...input.headers, trace: defaultPayloadConverter.toPayload('req-7') } });
            },
          },
        ],
      },
    });
    const worker = await env.worker('intercepted', {
      workflowsPath: WORKFLOWS_PATH,
      workflowBundle: undefined,
      logger: quietLogger,
      interceptors: {
        workflowModules: [path.resolve(__dirname, '../fixtures/interceptors.js')],
        activity: [
          () => ({
            inbound: {
              async execute(input, next) {
                const trace = input.headers.trace ? defaultPayloadConverter.fromPayload(input.headers.trace as never) : 'none';
                return `${await next(input)} <activity got ${trace}>`;
              },
            },
          }),
        ],
      },
    });
    try {
      const result = await worker.runUntil(client.workflow.execute('greet', { taskQueue: 'intercepted', workflowId: 'traced-1', args: ['you'] }));
      assert.is(result, 'Hello, you! <activity got req-7>activity> [workflow saw req-7]');
      assert.equal(seen, ['client start greet']);
    } finally {
      await env.close();
    }
  }),
);

test.run();
