/**
 * Dev server schedules judged by the official @temporalio/client and worker: a schedule
 * firing every second, overlap SKIP while a run is open, pause/unpause, trigger, delete,
 * and the scheduled-by search attributes on started workflows.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { startOfficialEnv, type OfficialEnv } from '../helpers/official-env';
import { describeUntil, everySecondThreeTimes, removeSchedule, skippedWhileOpen, threeCompletedActions } from '../helpers/schedule-steps';
import { timed, waitFor } from '../helpers/wait';

const test = suite('schedules (official client and worker)');
let env: OfficialEnv;

test.before(async () => {
  env = await startOfficialEnv();
});
test.after(async () => {
  await env?.close();
});

test(
  'a schedule fires every second three times and starts workflows named and tagged as Temporal does',
  timed(30_000, async () => {
    const worker = await env.worker('sched-every');
    await worker.runUntil(async () => {
      const handle = await env.client.schedule.create(
        everySecondThreeTimes('every-second', { workflowType: 'greet', args: ['sched'], taskQueue: 'sched-every', workflowId: 'every-wf' }),
      );
      const done = await threeCompletedActions(handle, 'every-wf', (id) => env.client.workflow.getHandle(id).result(), 'Hello, sched!');
      assert.is(done.state.remainingActions, 0);
      assert.equal(done.info.nextActionTimes, []);
      for (const a of done.info.recentActions) {
        const desc = await env.client.workflow.getHandle(a.action.workflow.workflowId).describe();
        assert.equal(desc.searchAttributes.TemporalScheduledById, ['every-second']);
        const nominal = a.action.workflow.workflowId.slice('every-wf-'.length);
        assert.equal((desc.searchAttributes.TemporalScheduledStartTime as Date[])[0]!.toISOString(), new Date(nominal).toISOString());
        assert.ok(a.takenAt.getTime() >= a.scheduledAt.getTime());
      }
      await handle.delete();
    });
  }),
);

test(
  'overlap SKIP skips while the started run is open; pause, trigger, unpause and delete',
  timed(30_000, async () => {
    const worker = await env.worker('sched-skip');
    await worker.runUntil(async () => {
      const handle = await env.client.schedule.create({
        scheduleId: 'skip-open',
        spec: { intervals: [{ every: '1s' }] },
        action: { type: 'startWorkflow', workflowType: 'accumulate', args: [1], taskQueue: 'sched-skip', workflowId: 'skip-wf' },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
      });
      const skipped = await skippedWhileOpen(handle, 2);
      assert.is(skipped.policies.overlap, ScheduleOverlapPolicy.SKIP);
      const first = skipped.info.runningActions[0]!.workflow.workflowId;

      await handle.pause('maintenance');
      const paused = await handle.describe();
      assert.is(paused.state.paused, true);
      assert.is(paused.state.note, 'maintenance');
      // A trigger starts even while paused (the official client asks ALLOW_ALL).
      await handle.trigger();
      const triggered = await describeUntil(handle, (d) => d.info.numActionsTaken === 2, 'the triggered action');
      assert.is(triggered.info.runningActions.length, 2);
      const listed = [];
      for await (const s of env.client.schedule.list()) listed.push(s);
      const entry = listed.find((s) => s.scheduleId === 'skip-open');
      assert.ok(entry);
      assert.is(entry!.state.paused, true);
      assert.is(entry!.action?.workflowType, 'accumulate');

      for (const r of triggered.info.runningActions) await env.client.workflow.getHandle(r.workflow.workflowId).signal('done');
      await env.client.workflow.getHandle(first).result();
      await handle.unpause('back');
      const resumed = await describeUntil(handle, (d) => d.info.numActionsTaken >= 3, 'an action after unpause');
      assert.is(resumed.state.paused, false);
      assert.is(resumed.state.note, 'back');
      await removeSchedule(handle, (id) => env.client.workflow.getHandle(id).terminate('test over'), ScheduleNotFoundError);
    });
  }),
);

test(
  'update replaces the spec and policies; describe returns the canonical structured spec',
  timed(15_000, async () => {
    const handle = await env.client.schedule.create({
      scheduleId: 'updatable',
      spec: { cronExpressions: ['0 12 * * mon-fri'], timezone: 'Europe/Paris' },
      action: { type: 'startWorkflow', workflowType: 'greet', args: ['x'], taskQueue: 'nobody' },
      state: { paused: true, note: 'held' },
    });
    const before = await handle.describe();
    assert.is(before.spec.timezone, 'Europe/Paris');
    assert.equal(before.spec.calendars?.[0]?.hour, [{ start: 12, end: 12, step: 1 }]);
    assert.equal(before.spec.calendars?.[0]?.dayOfWeek, [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }]);
    assert.is(before.info.nextActionTimes.length, 10);
    assert.is(before.action.workflowId, 'updatable-workflow');
    await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: '1h' }] }, policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE } }));
    const after = await handle.describe();
    assert.equal(after.spec.calendars, []);
    assert.is(after.spec.intervals?.[0]?.every, 3_600_000);
    assert.is(after.policies.overlap, ScheduleOverlapPolicy.BUFFER_ONE);
    assert.is(after.state.paused, true);
    assert.ok(after.info.lastUpdatedAt);
    await handle.delete();
  }),
);

test(
  'cronSchedule on StartWorkflowExecution: each run starts at a cron time and the next carries the last result',
  timed(20_000, async () => {
    const bad = await env.connection.workflowService
      .startWorkflowExecution({
        namespace: 'default',
        workflowId: 'cron-bad',
        workflowType: { name: 'greet' },
        taskQueue: { name: 'q' },
        cronSchedule: '* * 99 * *',
        requestId: 'cron-bad',
      })
      .then(
        () => null,
        (err: { code: number; details: string }) => err,
      );
    assert.is(bad?.code, 3);
    assert.match(bad!.details, /Invalid `cronSchedule` "\* \* 99 \* \*": `dayOfMonth` value 99 is out of range 1-31/);
    const worker = await env.worker('sched-cron');
    await worker.runUntil(async () => {
      const first = await env.client.workflow.start('greet', { taskQueue: 'sched-cron', workflowId: 'cron-wf', args: ['cron'], cronSchedule: '* * * * * * *' });
      const history = await waitFor(async () => {
        const h = await env.client.workflow.getHandle('cron-wf', first.firstExecutionRunId).fetchHistory();
        return h.events?.some((e) => e.workflowExecutionCompletedEventAttributes) ? h : null;
      });
      const startedAttrs = history.events![0]!.workflowExecutionStartedEventAttributes!;
      assert.is(startedAttrs.cronSchedule, '* * * * * * *');
      assert.ok(startedAttrs.firstWorkflowTaskBackoff, 'the first run waits for the next cron time');
      const nextRunId = history.events!.at(-1)!.workflowExecutionCompletedEventAttributes!.newExecutionRunId!;
      assert.ok(nextRunId, 'the completed run names the next one');
      const next = (await env.client.workflow.getHandle('cron-wf', nextRunId).fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
      assert.is(next.initiator, 3 /* CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE */);
      assert.is(next.continuedExecutionRunId, first.firstExecutionRunId);
      assert.is(Buffer.from(next.lastCompletionResult!.payloads![0]!.data!).toString(), '"Hello, cron!"');
      await env.client.workflow.getHandle('cron-wf').terminate('test over');
    });
  }),
);

test.run();
