/**
 * `bastion schedule create|describe|list|count|trigger|pause|unpause|toggle|backfill|delete`,
 * with the Temporal CLI's flag spellings (`temporal schedule …`). Workflow input goes
 * through `--codec-endpoint` when given; `--output json` prints the server's answer.
 */
import { randomUUID } from 'node:crypto';
import { CliError } from '../common/errors';
import { parseDuration } from '../common/duration';
import { durationFromMs, lookupType, temporal, toNumber } from '../common/proto';
import { writeMessage, type ReflectedType } from '../converter/proto-json';
import { parseFlags, wantsHelp, type Flags } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection, type OperatorSettings } from './operator-options';
import { emit, fields, isoTime, print, shortEnumName, table } from './output';
import { encodeInput, INPUT_FLAGS, INPUT_FLAGS_HELP, inputPayloads, remoteCodec } from './workflow-payloads';
import { decodePayloadsIn } from './remote-codec';
import type { Connection } from '../connection';

const E = temporal.api.enums.v1;
const ID_FLAG = { 'schedule-id': { value: true, alias: 's' } } as const;
const OVERLAP_PREFIX = 'SCHEDULE_OVERLAP_POLICY_';

const SCHEDULE_HELP = `Usage: bastion schedule <command> [flags]

Commands (flags as \`temporal schedule\` spells them):
  create     -s ID (--cron EXPR | --interval D[/OFFSET] | --calendar JSON)... --type T -t QUEUE
             [-w WORKFLOW_ID] [--input JSON]... [--time-zone TZ] [--start-time T] [--end-time T]
             [--jitter D] [--overlap-policy P] [--catchup-window D] [--pause-on-failure]
             [--paused] [--notes TEXT] [--remaining-actions N]
             [--execution-timeout D] [--run-timeout D] [--task-timeout D]
  describe   -s ID          spec, action, state, recent and next actions
  list       [-q QUERY]     the namespace's schedules
  count      [-q QUERY]     how many schedules match (CountSchedules; no \`temporal\` equivalent)
  trigger    -s ID [--overlap-policy P]   start the action now
  backfill   -s ID --start-time T --end-time T [--overlap-policy P]
  pause      -s ID [--reason TEXT]
  unpause    -s ID [--reason TEXT]
  toggle     -s ID (--pause | --unpause) [--reason TEXT]
  delete     -s ID

Overlap policies: Skip (default), BufferOne, BufferAll, CancelOther, TerminateOther, AllowAll.
${INPUT_FLAGS_HELP}

${CONNECTION_FLAGS_HELP}
Example:
  bastion schedule create -s nightly --cron '0 2 * * *' --time-zone Europe/Paris --type report -t reports
`;

function usage(message: string): Error {
  return new CliError('ERR_CLI_USAGE', message);
}

function str(flags: Flags, flag: string): string | undefined {
  const v = flags[flag];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function list(flags: Flags, flag: string): string[] {
  const v = flags[flag];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

function scheduleId(flags: Flags): string {
  const id = str(flags, 'schedule-id');
  if (!id) throw usage('`--schedule-id` (-s) is required: the id of the schedule.');
  return id;
}

/** A Temporal CLI duration: "30s", "2h", or a bare number of seconds. */
function durationMs(text: string, flag: string): number {
  try {
    return /^\d+(\.\d+)?$/.test(text.trim()) ? Math.ceil(Number(text) * 1000) : parseDuration(text, flag);
  } catch {
    throw usage(`\`--${flag}\` must be a duration such as "30s", "5m" or "2h" (a bare number is seconds); got "${text.slice(0, 40)}".`);
  }
}

function optionalDuration(flags: Flags, flag: string) {
  const v = str(flags, flag);
  return v === undefined ? undefined : durationFromMs(durationMs(v, flag));
}

function time(flags: Flags, flag: string) {
  const v = str(flags, flag);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw usage(`\`--${flag}\` must be an RFC 3339 time such as 2026-01-01T00:00:00Z; got "${v.slice(0, 40)}".`);
  return { seconds: Math.floor(t / 1000), nanos: (t % 1000) * 1e6 };
}

/** `--overlap-policy` in the Temporal CLI's spelling (`BufferOne`), case-insensitive. */
function overlap(flags: Flags): number | undefined {
  const v = str(flags, 'overlap-policy');
  if (v === undefined) return undefined;
  const names = Object.keys(E.ScheduleOverlapPolicy).filter((k) => k.startsWith(OVERLAP_PREFIX) && !k.endsWith('UNSPECIFIED'));
  const spelled = (k: string) => k.slice(OVERLAP_PREFIX.length).toLowerCase().replace(/_/g, '');
  const match = names.find((k) => spelled(k) === v.toLowerCase().replace(/_/g, ''));
  if (!match) throw usage(`\`--overlap-policy\` must be one of Skip, BufferOne, BufferAll, CancelOther, TerminateOther, AllowAll; got "${v}".`);
  return (E.ScheduleOverlapPolicy as unknown as Record<string, number>)[match];
}

function intervalSpec(text: string) {
  const [every, offset, more] = text.split('/');
  if (!every || more !== undefined) throw usage(`\`--interval\` must be a duration with an optional offset, such as "10m" or "1h/15m"; got "${text}".`);
  return { interval: durationFromMs(durationMs(every, 'interval')), phase: offset ? durationFromMs(durationMs(offset, 'interval')) : undefined };
}

function calendarSpec(text: string) {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    /* reported below */
  }
  throw usage(`\`--calendar\` must be a JSON object of CalendarSpec fields, such as '{"dayOfWeek":"Fri","hour":"17"}'; got "${text.slice(0, 60)}".`);
}

async function call<T>(settings: OperatorSettings, rpc: string, id: string | undefined, fn: (c: Connection) => Promise<T>): Promise<T> {
  const { namespace } = settings;
  return withConnection(settings, (c) => fn(c).catch((err: unknown) => Promise.reject(scheduleCallFailed(err, rpc, namespace, id))));
}

function scheduleCallFailed(err: unknown, rpc: string, namespace: string, id: string | undefined): unknown {
  const e = err as { code?: number; details?: string };
  if (e?.code === 6)
    return new CliError('ERR_CLI_CALL_FAILED', `Schedule ${id} already exists in namespace ${namespace}. Pass another \`--schedule-id\`.`, { cause: err });
  if (e?.code === 5) return new CliError('ERR_CLI_CALL_FAILED', `Schedule ${id} was not found in namespace ${namespace}.`, { cause: err });
  if (e?.code === 3) return new CliError('ERR_CLI_CALL_FAILED', `${rpc} was refused: ${e.details ?? ''}`, { cause: err });
  return callFailed(err, { rpc, namespace });
}

const CREATE_FLAGS = {
  ...ID_FLAG,
  cron: { value: true, repeatable: true },
  interval: { value: true, repeatable: true },
  calendar: { value: true, repeatable: true },
  'time-zone': { value: true },
  'start-time': { value: true },
  'end-time': { value: true },
  jitter: { value: true },
  'overlap-policy': { value: true },
  'catchup-window': { value: true },
  'pause-on-failure': {},
  paused: {},
  notes: { value: true },
  'remaining-actions': { value: true },
  'workflow-id': { value: true, alias: 'w' },
  type: { value: true },
  'task-queue': { value: true, alias: 't' },
  ...INPUT_FLAGS,
  'execution-timeout': { value: true },
  'run-timeout': { value: true },
  'task-timeout': { value: true },
} as const;

async function create(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...CREATE_FLAGS }, 'schedule create');
  const id = scheduleId(flags);
  const type = str(flags, 'type');
  const taskQueue = str(flags, 'task-queue');
  if (!type) throw usage('`--type` is required: the workflow type the schedule starts.');
  if (!taskQueue) throw usage('`--task-queue` (-t) is required: the task queue of the workflow.');
  const cron = list(flags, 'cron');
  const intervals = list(flags, 'interval').map(intervalSpec);
  const calendars = list(flags, 'calendar').map(calendarSpec);
  if (!cron.length && !intervals.length && !calendars.length)
    throw usage('Give the schedule a time: `--cron`, `--interval` or `--calendar` (each repeatable).');
  const remaining = str(flags, 'remaining-actions');
  if (remaining !== undefined && !/^\d+$/.test(remaining)) throw usage(`\`--remaining-actions\` must be a whole number; got "${remaining}".`);
  const settings = operatorSettings(flags);
  const input = await encodeInput(inputPayloads(flags), remoteCodec(settings));
  const request = {
    namespace: settings.namespace,
    scheduleId: id,
    identity: `bastion-cli@${process.pid}`,
    requestId: randomUUID(),
    schedule: {
      spec: {
        cronString: cron,
        interval: intervals,
        calendar: calendars,
        timezoneName: str(flags, 'time-zone'),
        startTime: time(flags, 'start-time'),
        endTime: time(flags, 'end-time'),
        jitter: optionalDuration(flags, 'jitter'),
      },
      action: {
        startWorkflow: {
          workflowId: str(flags, 'workflow-id') ?? `${id}-workflow`,
          workflowType: { name: type },
          taskQueue: { name: taskQueue, kind: E.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          input: input.length ? { payloads: input } : undefined,
          workflowExecutionTimeout: optionalDuration(flags, 'execution-timeout'),
          workflowRunTimeout: optionalDuration(flags, 'run-timeout'),
          workflowTaskTimeout: optionalDuration(flags, 'task-timeout'),
        },
      },
      policies: { overlapPolicy: overlap(flags), catchupWindow: optionalDuration(flags, 'catchup-window'), pauseOnFailure: flags['pause-on-failure'] === true },
      state: {
        paused: flags.paused === true,
        notes: str(flags, 'notes'),
        limitedActions: remaining !== undefined,
        remainingActions: remaining === undefined ? undefined : Number(remaining),
      },
    },
  };
  await call(settings, 'CreateSchedule', id, (c) => c.workflowService.createSchedule(request as never));
  emit(
    settings.output,
    { scheduleId: id, namespace: settings.namespace },
    () =>
      `Schedule created:\n${fields([
        ['Schedule ID', id],
        ['Namespace', settings.namespace],
      ])}`,
  );
  return 0;
}

async function describe(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...ID_FLAG }, 'schedule describe');
  const id = scheduleId(flags);
  const settings = operatorSettings(flags);
  const res = await call(settings, 'DescribeSchedule', id, (c) => c.workflowService.describeSchedule({ namespace: settings.namespace, scheduleId: id }));
  const codec = remoteCodec(settings);
  if (codec) await decodePayloadsIn(res, codec);
  if (settings.output !== 'text') {
    const type = lookupType('temporal.api.workflowservice.v1.DescribeScheduleResponse') as unknown as ReflectedType;
    emit(settings.output, writeMessage(type, res as unknown as Record<string, unknown>), () => undefined);
    return 0;
  }
  const s = res.schedule ?? {};
  const info = res.info ?? {};
  const start = s.action?.startWorkflow ?? {};
  print(
    `Schedule\n${fields([
      ['Schedule ID', id],
      ['Workflow type', start.workflowType?.name ?? '-'],
      ['Task queue', start.taskQueue?.name ?? '-'],
      ['Workflow ID', start.workflowId ?? '-'],
      ['Time zone', s.spec?.timezoneName || 'UTC'],
      ['Overlap policy', shortEnumName(E.ScheduleOverlapPolicy as unknown as Record<string, unknown>, s.policies?.overlapPolicy, OVERLAP_PREFIX)],
      ['Paused', s.state?.paused ? `yes${s.state.notes ? ` (${s.state.notes})` : ''}` : 'no'],
      ['Remaining actions', s.state?.limitedActions ? String(Number(s.state.remainingActions ?? 0)) : 'unlimited'],
      ['Actions taken', String(Number(info.actionCount ?? 0))],
      ['Skipped (overlap)', String(Number(info.overlapSkipped ?? 0))],
      ['Missed (catch-up window)', String(Number(info.missedCatchupWindow ?? 0))],
      ['Running', (info.runningWorkflows ?? []).map((w) => w.workflowId).join(', ') || '-'],
      ['Created', isoTime(info.createTime)],
    ])}`,
  );
  const recent = (info.recentActions ?? []).map((a) => [isoTime(a.scheduleTime), isoTime(a.actualTime), a.startWorkflowResult?.workflowId ?? '']);
  if (recent.length) print(`\nRecent actions\n${table(['Scheduled', 'Taken', 'Workflow ID'], recent, '  ')}`);
  const next = (info.futureActionTimes ?? []).map((t) => [isoTime(t)]);
  if (next.length) print(`\nNext action times\n${table(['Time'], next, '  ')}`);
  return 0;
}

const QUERY_FLAG = { query: { value: true, alias: 'q' } } as const;

async function listSchedules(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...QUERY_FLAG }, 'schedule list');
  const settings = operatorSettings(flags);
  const entries = await call(settings, 'ListSchedules', undefined, async (c) => {
    const out = [];
    let token: Uint8Array | undefined;
    do {
      const res = await c.workflowService.listSchedules({ namespace: settings.namespace, query: str(flags, 'query'), nextPageToken: token });
      out.push(...(res.schedules ?? []));
      token = res.nextPageToken?.length ? res.nextPageToken : undefined;
    } while (token);
    return out;
  });
  const type = lookupType('temporal.api.schedule.v1.ScheduleListEntry') as unknown as ReflectedType;
  emit(
    settings.output,
    entries.map((e) => writeMessage(type, e as unknown as Record<string, unknown>)),
    () =>
      entries.length === 0
        ? 'No schedules.'
        : table(
            ['Schedule ID', 'Workflow type', 'Paused', 'Next action'],
            entries.map((e) => [
              e.scheduleId ?? '',
              e.info?.workflowType?.name ?? '',
              e.info?.paused ? 'yes' : 'no',
              e.info?.futureActionTimes?.[0] ? isoTime(e.info.futureActionTimes[0]) : '-',
            ]),
          ),
  );
  return 0;
}

async function countSchedules(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...QUERY_FLAG }, 'schedule count');
  const settings = operatorSettings(flags);
  const res = await call(settings, 'CountSchedules', undefined, (c) =>
    c.workflowService.countSchedules({ namespace: settings.namespace, query: str(flags, 'query') ?? '' }),
  );
  const count = toNumber(res.count);
  emit(settings.output, { count }, () => `Total: ${count}`);
  return 0;
}

async function patch(
  argv: string[],
  command: string,
  extra: Record<string, { value?: boolean }>,
  build: (flags: Flags) => object,
  done: string,
): Promise<number> {
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...ID_FLAG, ...extra }, `schedule ${command}`);
  const id = scheduleId(flags);
  const settings = operatorSettings(flags);
  const p = build(flags);
  await call(settings, 'PatchSchedule', id, (c) =>
    c.workflowService.patchSchedule({
      namespace: settings.namespace,
      scheduleId: id,
      identity: `bastion-cli@${process.pid}`,
      requestId: randomUUID(),
      patch: p,
    }),
  );
  emit(settings.output, { scheduleId: id, done }, () => `Schedule ${id}: ${done}.`);
  return 0;
}

const reason = (flags: Flags, dflt: string) => str(flags, 'reason') ?? dflt;

async function deleteSchedule(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...ID_FLAG }, 'schedule delete');
  const id = scheduleId(flags);
  const settings = operatorSettings(flags);
  await call(settings, 'DeleteSchedule', id, (c) =>
    c.workflowService.deleteSchedule({ namespace: settings.namespace, scheduleId: id, identity: `bastion-cli@${process.pid}` }),
  );
  emit(settings.output, { scheduleId: id, done: 'deleted' }, () => `Schedule ${id}: deleted.`);
  return 0;
}

function helped(fn: (argv: string[]) => Promise<number>) {
  return async (argv: string[]): Promise<number> => {
    if (wantsHelp(argv)) {
      print(SCHEDULE_HELP);
      return 0;
    }
    return fn(argv);
  };
}

/** The `bastion schedule …` commands by name. */
export const SCHEDULE_COMMANDS = {
  create: helped(create),
  describe: helped(describe),
  list: helped(listSchedules),
  count: helped(countSchedules),
  trigger: helped((argv) =>
    patch(argv, 'trigger', { 'overlap-policy': { value: true } }, (f) => ({ triggerImmediately: { overlapPolicy: overlap(f) } }), 'triggered'),
  ),
  backfill: helped((argv) =>
    patch(
      argv,
      'backfill',
      { 'start-time': { value: true }, 'end-time': { value: true }, 'overlap-policy': { value: true } },
      (f) => {
        const startTime = time(f, 'start-time');
        const endTime = time(f, 'end-time');
        if (!startTime || !endTime) throw usage('`--start-time` and `--end-time` are required: the period whose times to take.');
        return { backfillRequest: [{ startTime, endTime, overlapPolicy: overlap(f) }] };
      },
      'backfill requested',
    ),
  ),
  pause: helped((argv) => patch(argv, 'pause', { reason: { value: true } }, (f) => ({ pause: reason(f, 'Paused via bastion CLI') }), 'paused')),
  unpause: helped((argv) => patch(argv, 'unpause', { reason: { value: true } }, (f) => ({ unpause: reason(f, 'Unpaused via bastion CLI') }), 'unpaused')),
  toggle: helped((argv) =>
    patch(
      argv,
      'toggle',
      { pause: {}, unpause: {}, reason: { value: true } },
      (f) => {
        if ((f.pause === true) === (f.unpause === true)) throw usage('`schedule toggle` takes one of `--pause` or `--unpause`.');
        return f.pause === true ? { pause: reason(f, 'Paused via bastion CLI') } : { unpause: reason(f, 'Unpaused via bastion CLI') };
      },
      'toggled',
    ),
  ),
  delete: helped(deleteSchedule),
};
