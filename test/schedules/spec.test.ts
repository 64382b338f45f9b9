/**
 * ListScheduleMatchingTimes against hand-computed times (cron and calendar specs, a
 * non-UTC zone across both DST changes), and bad schedule input answered with Temporal's
 * status codes and messages naming the field.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Client, Connection, ScheduleAlreadyRunning } from '@temporalio/client';
import { DevServer } from '../../src/testing';
import { timed } from '../helpers/wait';

const test = suite('schedule specs and bad input');
let server: DevServer;
let connection: Connection;
let client: Client;

test.before(async () => {
  server = await DevServer.start({ logLevel: 'off' });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
});
test.after(async () => {
  await connection?.close();
  await server?.close();
});

const action = { type: 'startWorkflow' as const, workflowType: 'greet', args: [], taskQueue: 'sched-nobody' };
// protobufjs accepts a number where the typings say Long.
const ts = (iso: string) => ({ seconds: (Date.parse(iso) / 1000) as never });

async function matching(scheduleId: string, spec: object, from: string, to: string): Promise<string[]> {
  await client.schedule.create({ scheduleId, spec, action, state: { paused: true } });
  const res: { startTime?: Array<{ seconds?: unknown }> | null } = await connection.workflowService.listScheduleMatchingTimes({
    namespace: 'default',
    scheduleId,
    startTime: ts(from),
    endTime: ts(to),
  });
  return (res.startTime ?? []).map((t) => new Date(Number(t.seconds) * 1000).toISOString());
}

test(
  'a 02:30 New York cron skips the spring-forward day; a 01:30 one fires twice on the fall-back day',
  timed(10_000, async () => {
    assert.equal(
      await matching('ny-spring', { cronExpressions: ['30 2 * * *'], timezone: 'America/New_York' }, '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z'),
      [
        '2026-03-07T07:30:00.000Z', // EST, UTC-5
        '2026-03-09T06:30:00.000Z', // EDT, UTC-4; 2026-03-08 has no 02:30
      ],
    );
    assert.equal(await matching('ny-fall', { cronExpressions: ['CRON_TZ=America/New_York 30 1 * * *'] }, '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z'), [
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T06:30:00.000Z', // 01:30 EST, the repeated hour
      '2026-11-02T06:30:00.000Z',
    ]);
  }),
);

test(
  'calendar specs: weekdays at 09:00 UTC, every 20 seconds, 29 February, and a skip list',
  timed(10_000, async () => {
    assert.equal(
      await matching('weekdays', { calendars: [{ dayOfWeek: { start: 'MONDAY', end: 'FRIDAY' }, hour: 9 }] }, '2026-12-03T00:00:00Z', '2026-12-09T00:00:00Z'),
      ['2026-12-03T09:00:00.000Z', '2026-12-04T09:00:00.000Z', '2026-12-07T09:00:00.000Z', '2026-12-08T09:00:00.000Z'],
    );
    assert.equal(await matching('seconds', { cronExpressions: ['*/20 * * * * * *'] }, '2026-12-03T10:00:00Z', '2026-12-03T10:01:00Z'), [
      '2026-12-03T10:00:00.000Z',
      '2026-12-03T10:00:20.000Z',
      '2026-12-03T10:00:40.000Z',
      '2026-12-03T10:01:00.000Z',
    ]);
    assert.equal(await matching('leap', { cronExpressions: ['0 0 29 2 *'] }, '2026-01-01T00:00:00Z', '2030-12-31T00:00:00Z'), ['2028-02-29T00:00:00.000Z']);
    assert.equal(
      await matching(
        'skipping',
        { cronExpressions: ['0 12 * * *'], skip: [{ dayOfWeek: ['SATURDAY', 'SUNDAY'], hour: 12 }] },
        '2026-12-04T00:00:00Z',
        '2026-12-08T00:00:00Z',
      ),
      ['2026-12-04T12:00:00.000Z', '2026-12-07T12:00:00.000Z'],
    );
    assert.equal(
      await matching(
        'bounded',
        { intervals: [{ every: '1h', offset: '15m' }], startAt: new Date('2026-12-03T02:00:00Z'), endAt: new Date('2026-12-03T04:15:00Z') },
        '2026-12-03T00:00:00Z',
        '2026-12-04T00:00:00Z',
      ),
      ['2026-12-03T02:15:00.000Z', '2026-12-03T03:15:00.000Z', '2026-12-03T04:15:00.000Z'],
    );
  }),
);

async function rawError(fn: () => Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await fn();
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('the call succeeded');
}

const rawCreate = (scheduleId: string, spec: object, start: object = { workflowId: 'w', workflowType: { name: 'greet' }, taskQueue: { name: 'q' } }) =>
  connection.workflowService.createSchedule({ namespace: 'default', scheduleId, requestId: scheduleId, schedule: { spec, action: { startWorkflow: start } } });

test(
  'an invalid cron string and an unknown time zone are INVALID_ARGUMENT "Invalid schedule spec" naming the field',
  timed(10_000, async () => {
    const cron = await rawError(() => rawCreate('bad-cron', { cronString: ['61 * * * *'] }));
    assert.is(cron.code, 3);
    assert.is(cron.details, 'Invalid schedule spec: `minute` value 61 is out of range 0-59.');
    const fields = await rawError(() => rawCreate('bad-fields', { cronString: ['* * *'] }));
    assert.match(fields.details, /has 3 fields; expected 5, 6 or 7/);
    const zone = await rawError(() => rawCreate('bad-zone', { cronString: ['0 * * * *'], timezoneName: 'Mars/Olympus_Mons' }));
    assert.is(zone.code, 3);
    assert.match(zone.details, /^Invalid schedule spec: unknown time zone "Mars\/Olympus_Mons" in `timezoneName`/);
    // The official client turns that prefix into a TypeError, as against Temporal Server.
    try {
      await client.schedule.create({ scheduleId: 'bad-zone-2', spec: { cronExpressions: ['0 * * * *'], timezone: 'Nowhere/City' }, action });
      assert.unreachable('created a schedule in an unknown zone');
    } catch (err) {
      assert.instance(err, TypeError);
      assert.match((err as Error).message, /unknown time zone "Nowhere\/City"/);
    }
    const noQueue = await rawError(() =>
      rawCreate('no-queue', { interval: [{ interval: { seconds: 60 } }] }, { workflowId: 'w', workflowType: { name: 'greet' } }),
    );
    assert.is(noQueue.code, 3);
    assert.match(noQueue.details, /`schedule\.action\.startWorkflow\.taskQueue\.name` is required/);
  }),
);

test(
  'a duplicate schedule id is ALREADY_EXISTS (ScheduleAlreadyRunning); an unknown one NOT_FOUND',
  timed(10_000, async () => {
    await client.schedule.create({ scheduleId: 'twice', spec: { intervals: [{ every: '1h' }] }, action, state: { paused: true } });
    const dup = await rawError(() => rawCreate('twice', { interval: [{ interval: { seconds: 60 } }] }));
    assert.is(dup.code, 6);
    assert.match(dup.details, /Schedule with this ID is already registered/);
    try {
      await client.schedule.create({ scheduleId: 'twice', spec: { intervals: [{ every: '1h' }] }, action });
      assert.unreachable('created a duplicate');
    } catch (err) {
      assert.instance(err, ScheduleAlreadyRunning);
    }
    const missing = await rawError(() => connection.workflowService.describeSchedule({ namespace: 'default', scheduleId: 'nope' }));
    assert.is(missing.code, 5);
    assert.match(missing.details, /schedule "nope" not found/);
  }),
);

test.run();
