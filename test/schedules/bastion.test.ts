/**
 * Schedules through Bastion's own client and worker: a schedule firing every second,
 * overlap SKIP, pause/trigger/unpause, backfill, list, delete, typed errors; and a
 * schedule whose action input goes through the encryption codec, so neither the server's
 * described schedule nor its database file holds the plaintext.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '../../src/client';
import { Connection } from '../../src/connection';
import { DevServer } from '../../src/testing';
import { startBastionEnv, type BastionEnv } from '../helpers/bastion-env';
import { encryptionCodec, leakedMarkers, newCodecKey } from '../helpers/test-codec';
import { describeUntil, everySecondThreeTimes, removeSchedule, skippedWhileOpen, threeCompletedActions } from '../helpers/schedule-steps';
import { timed, waitFor } from '../helpers/wait';

const test = suite('schedules (Bastion client and worker)');
let env: BastionEnv;

test.before(async () => {
  env = await startBastionEnv();
});
test.after(async () => {
  await env?.close();
});

test(
  'a schedule fires every second three times; its workflows complete on a Bastion worker',
  timed(30_000, async () => {
    const worker = await env.worker('b-sched-every');
    await worker.runUntil(async () => {
      const handle = await env.client.schedule.create(
        everySecondThreeTimes('b-every', { workflowType: 'greet', args: ['bastion'], taskQueue: 'b-sched-every', workflowId: 'b-every-wf' }),
      );
      const d = await threeCompletedActions(handle, 'b-every-wf', (id) => env.client.workflow.getHandle(id).result(), 'Hello, bastion!');
      assert.is(d.state.remainingActions, 0);
      assert.equal(d.action.args, ['bastion']);
      assert.is(d.action.workflowType, 'greet');
      await handle.delete();
    });
  }),
);

test(
  'SKIP while open, pause, trigger, unpause, backfill, list and delete with typed errors',
  timed(30_000, async () => {
    const worker = await env.worker('b-sched-skip');
    await worker.runUntil(async () => {
      const handle = await env.client.schedule.create({
        scheduleId: 'b-skip',
        spec: { intervals: [{ every: '1s' }] },
        action: { type: 'startWorkflow', workflowType: 'accumulate', args: [1], taskQueue: 'b-sched-skip' },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
        memo: { team: 'ops' },
      });
      const skipped = await skippedWhileOpen(handle, 1);
      assert.is(skipped.policies.catchupWindow, 60_000);
      assert.equal(skipped.memo, { team: 'ops' });
      await handle.pause('hold');
      assert.is((await handle.describe()).state.paused, true);
      await handle.trigger();
      await describeUntil(handle, (x) => x.info.numActionsTaken === 2, 'the triggered action');
      // Two past minutes of a per-minute backfill: manual starts, all allowed.
      const end = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
      await handle.backfill({ start: new Date(end.getTime() - 2000), end, overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const filled = await describeUntil(handle, (x) => x.info.numActionsTaken === 5, 'three backfilled actions');
      const backfilled = filled.info.recentActions.slice(-3).map((a) => a.scheduledAt.getTime());
      assert.equal(backfilled, [end.getTime() - 2000, end.getTime() - 1000, end.getTime()]);
      const ids = [];
      for await (const s of env.client.schedule.list({ query: 'TemporalSchedulePaused = true' })) ids.push(s.scheduleId);
      assert.equal(ids, ['b-skip']);
      await handle.unpause();
      assert.is((await handle.describe()).state.paused, false);
      try {
        await env.client.schedule.create({
          scheduleId: 'b-skip',
          spec: { intervals: [{ every: '1h' }] },
          action: { type: 'startWorkflow', workflowType: 'greet', taskQueue: 'q' },
        });
        assert.unreachable('created a duplicate');
      } catch (err) {
        assert.instance(err, ScheduleAlreadyRunning);
        assert.is((err as ScheduleAlreadyRunning).code, 'ERR_CLIENT_SCHEDULE_ALREADY_RUNNING');
      }
      const gone = await removeSchedule(handle, (id) => env.client.workflow.getHandle(id).terminate('test over'), ScheduleNotFoundError);
      assert.is(gone.scheduleId, 'b-skip');
    });
  }),
);

test(
  'a bad spec is ERR_INVALID_OPTION naming the field before or at the server',
  timed(10_000, async () => {
    const action = { type: 'startWorkflow' as const, workflowType: 'greet', taskQueue: 'q' };
    try {
      await env.client.schedule.create({ scheduleId: 'b-bad', spec: { cronExpressions: ['0 25 * * *'] }, action });
      assert.unreachable('created a bad cron');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION');
      assert.match((err as Error).message, /`spec` is refused by the server: `hour` value 25 is out of range 0-23/);
    }
    try {
      await env.client.schedule.create({ scheduleId: 'b-bad', spec: { calendars: [{ month: 'SMARCH' as never }] }, action });
      assert.unreachable('created a bad month');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION');
      assert.match((err as Error).message, /`spec\.calendars\[0\]\.month` must be a month name/);
    }
  }),
);

test(
  "the encryption codec keeps the schedule's stored action input encrypted on the server and on disk",
  timed(30_000, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-sched-codec-'));
    const db = path.join(dir, 'codec.db');
    const server = await DevServer.start({ dbFilename: db, logLevel: 'off' });
    const connection = await Connection.connect({ address: server.address });
    // Not bound to the workflow id: the schedule's input is encoded for the action's workflowId, and
    // started workflows get `<workflowId>-<time>` (the official client has the same constraint).
    const codec = await encryptionCodec(newCodecKey(), false);
    const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
    const marker = 'SCHED-SECRET-7f3a';
    try {
      const handle = await client.schedule.create({
        scheduleId: 'b-secret',
        spec: { intervals: [{ every: '1h' }] },
        action: { type: 'startWorkflow', workflowType: 'greet', args: [marker], taskQueue: 'b-sched-codec', memo: { note: `${marker}-memo` } },
        state: { paused: true },
      });
      const d = await handle.describe();
      assert.equal(d.action.args, [marker]);
      assert.equal(d.action.memo, { note: `${marker}-memo` });
      assert.equal(leakedMarkers(JSON.stringify(d.raw), [marker]), []);
      const plain = await connection.workflowService.describeSchedule({ namespace: 'default', scheduleId: 'b-secret' });
      const metadata = plain.schedule?.action?.startWorkflow?.input?.payloads?.[0]?.metadata ?? {};
      assert.is(Buffer.from(metadata.encoding ?? []).toString(), 'binary/encrypted');
      await handle.trigger();
      const started = await waitFor(async () => (await handle.describe()).info.recentActions[0]);
      const worker = await env.worker('b-sched-codec', { connection, dataConverter: { payloadCodecs: [codec] } });
      const result = await worker.runUntil(() => client.workflow.getHandle(started.action.workflow.workflowId).result());
      assert.is(result, `Hello, ${marker}!`);
      await handle.delete();
    } finally {
      await connection.close();
      await server.close();
    }
    for (const f of fs.readdirSync(dir)) assert.equal(leakedMarkers(fs.readFileSync(path.join(dir, f)), [marker]), [], `plaintext in ${f}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }),
);

test.run();
