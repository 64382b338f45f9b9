/** `bastion schedule …` against the dev server: the Temporal CLI's flags, text and `--output json`; `count` (CountSchedules). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DevServer } from '../../src/testing';
import { runCli } from '../helpers/cli-capture';
import { timed, waitFor } from '../helpers/wait';

const test = suite('bastion schedule');
let server: DevServer;
const cli = (...args: string[]) => runCli(['schedule', ...args, '--address', server.address]);

test.before(async () => {
  server = await DevServer.start({ logLevel: 'off' });
});
test.after(async () => {
  await server?.close();
});

test(
  'create, describe, list, trigger, pause, unpause and delete a schedule',
  timed(20_000, async () => {
    const created = await cli(
      'create',
      '-s',
      'cli-sched',
      '--cron',
      '0 2 * * *',
      '--time-zone',
      'Europe/Paris',
      '--type',
      'greet',
      '-t',
      'cli-q',
      '--input',
      '"you"',
      '--overlap-policy',
      'BufferOne',
      '--catchup-window',
      '5m',
      '--paused',
      '--notes',
      'parked',
    );
    assert.is(created.code, 0, created.stderr);
    assert.match(created.stdout, /Schedule created/);
    const described = await cli('describe', '-s', 'cli-sched', '--output', 'json');
    assert.is(described.code, 0, described.stderr);
    const d = JSON.parse(described.stdout);
    assert.is(d.schedule.spec.timezoneName, 'Europe/Paris');
    assert.equal(d.schedule.spec.structuredCalendar[0].hour, [{ start: 2, end: 2, step: 1 }]);
    assert.is(d.schedule.policies.overlapPolicy, 'SCHEDULE_OVERLAP_POLICY_BUFFER_ONE');
    assert.is(d.schedule.policies.catchupWindow, '300s');
    assert.is(d.schedule.state.paused, true);
    assert.is(d.schedule.action.startWorkflow.workflowId, 'cli-sched-workflow');
    assert.is(d.info.futureActionTimes.length, 10);
    const text = await cli('describe', '-s', 'cli-sched');
    assert.match(text.stdout, /Overlap policy\s+BufferOne|Overlap policy\s+BUFFER_ONE/i);
    assert.match(text.stdout, /Paused\s+yes \(parked\)/);

    const listed = await cli('list', '--output', 'json');
    assert.equal(
      JSON.parse(listed.stdout).map((e: { scheduleId: string }) => e.scheduleId),
      ['cli-sched'],
    );
    assert.is((await cli('trigger', '-s', 'cli-sched', '--overlap-policy', 'AllowAll')).code, 0);
    await waitFor(async () => JSON.parse((await cli('describe', '-s', 'cli-sched', '-o', 'json')).stdout).info.actionCount === '1');
    assert.is((await cli('unpause', '-s', 'cli-sched', '--reason', 'go')).code, 0);
    assert.is(JSON.parse((await cli('describe', '-s', 'cli-sched', '-o', 'json')).stdout).schedule.state.paused, undefined);
    assert.is((await cli('toggle', '-s', 'cli-sched', '--pause', '--reason', 'stop')).code, 0);
    assert.is(JSON.parse((await cli('describe', '-s', 'cli-sched', '-o', 'json')).stdout).schedule.state.notes, 'stop');
    assert.is((await cli('delete', '-s', 'cli-sched')).code, 0);
    const gone = await cli('describe', '-s', 'cli-sched');
    assert.is(gone.code, 1);
    assert.match(gone.stderr, /Schedule cli-sched was not found in namespace default/);
  }),
);

test(
  'count: how many schedules the query matches (CountSchedules), in text and JSON; a query the dev server cannot filter by is refused',
  timed(20_000, async () => {
    const create = (id: string, ...more: string[]) => cli('create', '-s', id, '--interval', '1h', '--type', 'greet', '-t', 'count-q', ...more);
    for (const [id, paused] of [
      ['count-a', true],
      ['count-b', true],
      ['count-c', false],
    ] as const) {
      const r = await create(id, ...(paused ? ['--paused'] : []));
      assert.is(r.code, 0, r.stderr);
    }
    const count = async (...query: string[]) => {
      const r = await cli('count', ...query, '--output', 'json');
      assert.is(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).count as number;
    };
    assert.is(await count(), 3);
    assert.is(await count('--query', 'TemporalSchedulePaused = true'), 2);
    assert.is(await count('-q', 'TemporalSchedulePaused = false'), 1);
    assert.is(await count('-q', 'ScheduleId = "count-b" AND TemporalSchedulePaused = true'), 1);
    assert.is(await count('-q', "ScheduleId = 'count-c' AND TemporalSchedulePaused = true"), 0);
    const text = await cli('count');
    assert.is(text.code, 0, text.stderr);
    assert.is(text.stdout.trim(), 'Total: 3');
    const refused = await cli('count', '-q', 'WorkflowType = "greet"');
    assert.is(refused.code, 1);
    assert.match(
      refused.stderr,
      /CountSchedules was refused: `query` "WorkflowType = \\"greet\\"": the dev server filters schedules by `ScheduleId = "id"` and `TemporalSchedulePaused = true\|false` only/,
    );
    for (const id of ['count-a', 'count-b', 'count-c']) assert.is((await cli('delete', '-s', id)).code, 0);
    assert.is(await count(), 0);
  }),
);

test(
  'bad flags are usage errors (exit 2) and a bad cron is refused with the server message (exit 1)',
  timed(10_000, async () => {
    const policy = await cli('create', '-s', 'x', '--interval', '1m', '--type', 'greet', '-t', 'q', '--overlap-policy', 'Sometimes');
    assert.is(policy.code, 2);
    assert.match(policy.stderr, /`--overlap-policy` must be one of Skip, BufferOne/);
    const noTime = await cli('create', '-s', 'x', '--type', 'greet', '-t', 'q');
    assert.is(noTime.code, 2);
    assert.match(noTime.stderr, /`--cron`, `--interval` or `--calendar`/);
    const cron = await cli('create', '-s', 'x', '--cron', '0 0 32 * *', '--type', 'greet', '-t', 'q');
    assert.is(cron.code, 1);
    assert.match(cron.stderr, /Invalid schedule spec: `dayOfMonth` value 32 is out of range 1-31/);
  }),
);

test.run();
