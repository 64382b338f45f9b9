/**
 * Schedules survive the dev server: after a kill -9 and a restart on the same
 * `--db-filename` the schedule resumes and takes the times it missed within its catch-up
 * window; times older than the window are counted as missed, not started.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { DevServer } from '../../src/testing';
import { setScheduleClock } from '../../src/server/schedules/clock';
import { freePort, spawnDevServer } from '../helpers/processes';
import { timed, waitFor } from '../helpers/wait';

const test = suite('schedules across server restarts');
let dir: string;

test.before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-sched-'));
});
test.after(() => {
  setScheduleClock(undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

test(
  'after kill -9 and a restart the schedule starts the times it missed within the catch-up window',
  timed(40_000, async () => {
    const db = path.join(dir, 'kill.db');
    const port = await freePort();
    let server = await spawnDevServer(['--port', String(port), '--db-filename', db, '--log-level', 'off']);
    let connection = await Connection.connect({ address: server.address });
    try {
      const handle = await new Client({ connection }).schedule.create({
        scheduleId: 'survivor',
        spec: { intervals: [{ every: '1s' }] },
        action: { type: 'startWorkflow', workflowType: 'greet', args: ['x'], taskQueue: 'sched-nobody', workflowId: 'survivor-wf' },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '10s' },
      });
      await waitFor(async () => (await handle.describe()).info.numActionsTaken >= 1, 10_000, 'a first action');
      await connection.close();
      server.kill('SIGKILL');
      await server.exited;
      const killedAt = Date.now();
      // The server is down: schedule times pass unobserved.
      await waitFor(() => Date.now() >= killedAt + 2500, 5000, 'time passing while the server is down', 100);
      const restartedAt = Date.now();
      server = await spawnDevServer(['--port', String(port), '--db-filename', db, '--log-level', 'off']);
      connection = await Connection.connect({ address: server.address });
      const again = new Client({ connection }).schedule.getHandle('survivor');
      const caughtUp = await waitFor(
        async () => {
          const d = await again.describe();
          const late = d.info.recentActions.filter((a) => a.scheduledAt.getTime() > killedAt && a.scheduledAt.getTime() < restartedAt);
          return late.length >= 2 ? late : null;
        },
        10_000,
        'actions for the times missed while down',
      );
      for (const a of caughtUp) assert.ok(a.takenAt.getTime() >= restartedAt, 'a missed time is taken after the restart');
      await again.delete();
    } finally {
      await connection.close();
      server.kill('SIGKILL');
      await server.exited;
    }
  }),
);

test(
  'times older than the catch-up window are counted as missed, not started',
  timed(20_000, async () => {
    const db = path.join(dir, 'window.db');
    let server = await DevServer.start({ dbFilename: db, logLevel: 'off' });
    let connection = await Connection.connect({ address: server.address });
    const create = new Client({ connection }).schedule.create({
      scheduleId: 'windowed',
      spec: { intervals: [{ every: '1m' }] },
      action: { type: 'startWorkflow', workflowType: 'greet', args: ['x'], taskQueue: 'sched-nobody' },
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '10s' },
    });
    await create;
    await connection.close();
    await server.close();
    // The server was down for an hour (the scheduler's clock moves; nothing sleeps).
    const skew = 3_600_000;
    setScheduleClock({
      now: () => Date.now() + skew,
      schedule: (dueMs, fn) => {
        const t = setTimeout(fn, Math.max(0, Math.min(dueMs - skew - Date.now(), 2 ** 31 - 1)));
        return () => clearTimeout(t);
      },
    });
    try {
      server = await DevServer.start({ dbFilename: db, logLevel: 'off' });
      connection = await Connection.connect({ address: server.address });
      const d = await new Client({ connection }).schedule.getHandle('windowed').describe();
      assert.ok(d.info.numActionsMissedCatchupWindow >= 58, `missed ${d.info.numActionsMissedCatchupWindow}`);
      assert.ok(d.info.numActionsTaken <= 1, `taken ${d.info.numActionsTaken}`);
      assert.ok(d.info.nextActionTimes[0]!.getTime() > Date.now() + skew - 1000);
    } finally {
      setScheduleClock(undefined);
      await connection.close();
      await server.close();
    }
  }),
);

test.run();
