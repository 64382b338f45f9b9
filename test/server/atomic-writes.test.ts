/**
 * Each state change is atomic with its SQLite write (`--db-filename`): when the disk
 * refuses a write, the call answers UNAVAILABLE, memory stays as it was (so it agrees
 * with the disk, also after a restart), and nothing is stuck once writes work again.
 * The refusal is real: a trigger added to the server's database file from outside.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { temporal } from '@temporalio/proto';
import { DevServer } from '../../src/testing';
import { historyOf, rawService } from '../helpers/raw-grpc';
import { timed, waitFor } from '../helpers/wait';

const ET = temporal.api.enums.v1.EventType;
const test = suite('dev server atomic writes');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-atomic-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Makes the server's database refuse new history events until the returned function is called. */
function refuseEvents(file: string): () => void {
  const db = new Database(file);
  db.exec("CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk refused the write (test)'); END;");
  return () => {
    db.exec('DROP TRIGGER refuse_events');
    db.close();
  };
}

const summary = (events: Array<Record<string, any>>) => events.map((e) => `${Number(e.eventId)}:${ET[e.eventType]}`);

test(
  'a refused write answers UNAVAILABLE and leaves memory as on disk, also after a restart',
  timed(20_000, async () => {
    const file = path.join(dir, 'refused-signal.db');
    let server = await DevServer.start({ dbFilename: file, logLevel: 'off' });
    let svc = rawService(server.address);
    try {
      await svc.call('StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 'w',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'q' },
        requestId: 'r',
      });
      const before = summary(await historyOf(svc, 'w'));
      const allow = refuseEvents(file);
      const e = await svc.callError('SignalWorkflowExecution', {
        namespace: 'default',
        workflowExecution: { workflowId: 'w' },
        signalName: 'lost',
        requestId: 's1',
      });
      assert.is(e.code, grpc.status.UNAVAILABLE);
      assert.match(e.details, /could not write its database .*nothing was changed/);
      assert.equal(summary(await historyOf(svc, 'w')), before, 'memory did not take the refused signal');
      allow();
      await svc.call('SignalWorkflowExecution', { namespace: 'default', workflowExecution: { workflowId: 'w' }, signalName: 'kept', requestId: 's2' });
      const after = await historyOf(svc, 'w');
      assert.equal(
        after.map((ev) => Number(ev.eventId)),
        [1, 2, 3],
        'event ids stay contiguous',
      );
      assert.is(after[2]!.workflowExecutionSignaledEventAttributes.signalName, 'kept');
      svc.close();
      await server.close();

      server = await DevServer.start({ dbFilename: file, logLevel: 'off' });
      svc = rawService(server.address);
      assert.equal(summary(await historyOf(svc, 'w')), summary(after), 'the disk holds what memory held');
    } finally {
      svc.close();
      await server.close();
    }
  }),
);

test(
  'a refused start writes nothing: the workflow id stays free',
  timed(20_000, async () => {
    const file = path.join(dir, 'refused-start.db');
    const server = await DevServer.start({ dbFilename: file, logLevel: 'off' });
    const svc = rawService(server.address);
    try {
      const allow = refuseEvents(file);
      const e = await svc.callError('StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 'fresh',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'q' },
        requestId: 'r1',
      });
      assert.is(e.code, grpc.status.UNAVAILABLE);
      const missing = await svc.callError('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId: 'fresh' } });
      assert.is(missing.code, grpc.status.NOT_FOUND, 'the run was forgotten with its write');
      allow();
      const { runId } = await svc.call('StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 'fresh',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'q' },
        requestId: 'r2',
      });
      assert.ok(runId);
    } finally {
      svc.close();
      await server.close();
    }
  }),
);

test(
  'a workflow task whose start could not be written is offered again, not lost',
  timed(20_000, async () => {
    const file = path.join(dir, 'refused-poll.db');
    const server = await DevServer.start({ dbFilename: file, logLevel: 'off' });
    const svc = rawService(server.address);
    try {
      const { runId } = await svc.call('StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 'p',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'poll-q' },
        requestId: 'r',
      });
      const allow = refuseEvents(file);
      const e = await svc.callError('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'poll-q' }, identity: 'w1' });
      assert.is(e.code, grpc.status.UNAVAILABLE);
      allow();
      const task = await svc.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'poll-q' }, identity: 'w2' });
      assert.is(task.workflowExecution?.runId, runId);
      assert.is(Number(task.startedEventId), 3, 'started once: the refused start left no event behind');
    } finally {
      svc.close();
      await server.close();
    }
  }),
);

test(
  'a task handed to a waiting poller is written first: when that write is refused the poller gets nothing and the task waits',
  timed(20_000, async () => {
    const file = path.join(dir, 'refused-handoff.db');
    const server = await DevServer.start({ dbFilename: file, logLevel: 'off' });
    const svc = rawService(server.address);
    try {
      const waiting = svc.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'handoff-q' }, identity: 'w1' }).then(
        (task) => ({ task }),
        (error) => ({ error }),
      );
      await waitFor(
        async () => (await svc.call('DescribeTaskQueue', { namespace: 'default', taskQueue: { name: 'handoff-q' } })).pollers.length > 0,
        5000,
        'poller registered',
      );
      // Refuse only event 3, the WorkflowTaskStarted the hand-off writes; the start itself (events 1 and 2) is stored.
      const db = new Database(file);
      db.exec("CREATE TRIGGER refuse_started BEFORE INSERT ON events WHEN NEW.event_id = 3 BEGIN SELECT RAISE(ABORT, 'disk refused the write (test)'); END;");
      const { runId } = await svc.call('StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 'h',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'handoff-q' },
        requestId: 'r',
      });
      assert.equal(
        summary(await historyOf(svc, 'h')),
        ['1:EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', '2:EVENT_TYPE_WORKFLOW_TASK_SCHEDULED'],
        'the refused start of the task left no trace',
      );
      db.exec('DROP TRIGGER refuse_started');
      db.close();
      const task = await svc.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'handoff-q' }, identity: 'w2' });
      assert.is(task.workflowExecution?.runId, runId, 'the task waited in the queue');
      assert.is(Number(task.startedEventId), 3);
      await server.close(); // answers the first poller's wait
      const first = await waiting;
      assert.not.ok('task' in first && first.task?.taskToken?.length, 'the first poller never got the task whose start was refused');
    } finally {
      svc.close();
      await server.close();
    }
  }),
);

test(
  'a timer whose firing could not be written fires again once the disk takes writes; memory and disk agree',
  timed(30_000, async () => {
    const file = path.join(dir, 'refused-timer.db');
    let refusedWrite!: () => void;
    const refused = new Promise<void>((resolve) => {
      refusedWrite = resolve;
    });
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error(message: string) {
        if (/store refused a write/.test(message)) refusedWrite();
      },
    };
    let server = await DevServer.start({ dbFilename: file, logger });
    let svc = rawService(server.address);
    try {
      await svc.call('StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 't',
        workflowType: { name: 'wf' },
        taskQueue: { name: 'timer-q' },
        requestId: 'r',
      });
      const task = await svc.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: 'timer-q' }, identity: 'w' });
      // Event 6 will be the TimerFired; refuse only that one.
      const db = new Database(file);
      db.exec("CREATE TRIGGER refuse_fired BEFORE INSERT ON events WHEN NEW.event_id = 6 BEGIN SELECT RAISE(ABORT, 'disk refused the write (test)'); END;");
      await svc.call('RespondWorkflowTaskCompleted', {
        namespace: 'default',
        taskToken: task.taskToken,
        identity: 'w',
        commands: [
          {
            commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_START_TIMER,
            startTimerCommandAttributes: { timerId: 'once', startToFireTimeout: { nanos: 100_000_000 } },
          },
        ],
      });
      await refused;
      assert.is((await historyOf(svc, 't')).length, 5, 'memory did not take the refused TimerFired');
      db.exec('DROP TRIGGER refuse_fired');
      db.close();
      const fired = await waitFor(
        async () => {
          const events = await historyOf(svc, 't');
          return events.some((e) => e.eventType === ET.EVENT_TYPE_TIMER_FIRED) ? events : undefined;
        },
        10_000,
        'the timer fired after the disk took writes again',
      );
      assert.is(Number(fired.find((e) => e.eventType === ET.EVENT_TYPE_TIMER_FIRED)!.eventId), 6);
      svc.close();
      await server.close();
      server = await DevServer.start({ dbFilename: file, logLevel: 'off' });
      svc = rawService(server.address);
      assert.equal(summary(await historyOf(svc, 't')), summary(fired), 'the disk holds what memory held');
    } finally {
      svc.close();
      await server.close();
    }
  }),
);

test.run();
