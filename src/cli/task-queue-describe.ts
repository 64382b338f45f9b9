/** `bastion task-queue describe`: the workers polling a task queue, as `temporal task-queue describe`. */
import { CliError } from '../common/errors';
import { temporal } from '../common/proto';
import { parseFlags, wantsHelp } from './args';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { ago, emit, print, table, timestampMs } from './output';

export const TASK_QUEUE_DESCRIBE_HELP = `Usage: bastion task-queue describe --task-queue QUEUE [flags]

Lists the workers polling a task queue: each poller's identity, when it last polled,
and whether it polls workflow tasks, activity tasks or both.

Flags:
  -t, --task-queue QUEUE  the task queue (required)

${CONNECTION_FLAGS_HELP}
Example:
  bastion task-queue describe --task-queue orders --namespace prod
`;

/** The kinds of task a poller takes, in the order they are printed. */
export type PollerType = 'workflow' | 'activity';

/** One worker identity polling the queue. */
export interface TaskQueuePoller {
  identity: string;
  /** ISO 8601: the latest poll of any of its types. */
  lastAccessTime: string;
  types: PollerType[];
}

/** The `--output json` document of `task-queue describe`. */
export interface TaskQueueDescription {
  taskQueue: string;
  namespace: string;
  pollers: TaskQueuePoller[];
}

const QUEUE_TYPES: ReadonlyArray<{ type: PollerType; value: number }> = [
  { type: 'workflow', value: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW },
  { type: 'activity', value: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY },
];

export async function taskQueueDescribe(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(TASK_QUEUE_DESCRIBE_HELP);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, 'task-queue': { value: true, alias: 't' } }, 'task-queue describe');
  const taskQueue = flags['task-queue'];
  if (typeof taskQueue !== 'string' || taskQueue === '')
    throw new CliError('ERR_CLI_USAGE', '`--task-queue` is required: the name of the task queue to describe.');
  const settings = operatorSettings(flags);
  const { namespace } = settings;
  const byIdentity = new Map<string, { lastMs: number; types: Set<PollerType> }>();
  await withConnection(settings, async (connection) => {
    for (const { type, value } of QUEUE_TYPES) {
      const res = await connection.workflowService
        .describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: value,
        })
        .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'DescribeTaskQueue', namespace })));
      for (const p of res.pollers ?? []) {
        const identity = p.identity ?? '';
        const entry = byIdentity.get(identity) ?? { lastMs: 0, types: new Set<PollerType>() };
        entry.types.add(type);
        entry.lastMs = Math.max(entry.lastMs, timestampMs(p.lastAccessTime) ?? 0);
        byIdentity.set(identity, entry);
      }
    }
  });
  const pollers: TaskQueuePoller[] = [...byIdentity.entries()]
    .sort(([a, x], [b, y]) => y.lastMs - x.lastMs || a.localeCompare(b))
    .map(([identity, { lastMs, types }]) => ({
      identity,
      lastAccessTime: new Date(lastMs).toISOString(),
      types: QUEUE_TYPES.map((q) => q.type).filter((t) => types.has(t)),
    }));
  if (settings.output !== 'text') {
    emit(settings.output, { taskQueue, namespace, pollers } satisfies TaskQueueDescription, () => undefined);
    return 0;
  }
  if (pollers.length === 0) {
    print(`No workers are polling task queue ${taskQueue} in namespace ${namespace}. Start a worker with taskQueue: '${taskQueue}'.`);
    return 0;
  }
  const now = Date.now();
  print(`Task queue ${taskQueue} in namespace ${namespace}: ${pollers.length} ${pollers.length === 1 ? 'worker' : 'workers'} polling\n`);
  print(
    table(
      ['IDENTITY', 'POLLS', 'LAST ACCESS'],
      pollers.map((p) => [p.identity || '(no identity)', p.types.join(', '), `${p.lastAccessTime} (${ago(Date.parse(p.lastAccessTime), now)})`]),
    ),
  );
  return 0;
}
