/** `bastion workflow show`: an execution's full event history, as text or as `temporal workflow show --output json` writes it. */
import { temporal, toNumber } from '../common/proto';
import type { TemporalTypes } from '../common/proto';
import type { ProtoFailure } from '../converter';
import { parseFlags, wantsHelp } from './args';
import { historyToJson } from '../engine/history-json';
import { callFailed, CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, operatorSettings, withConnection } from './operator-options';
import { durationText, emit, failureText, isoTime, payloadsPreview, print, shortEnumName, table, truncate } from './output';
import { decodePayloadsIn } from './remote-codec';
import { remoteCodec } from './workflow-payloads';
import { EXECUTION_FLAGS, executionFromFlags } from './workflow-describe';

export const WORKFLOW_SHOW_HELP = `Usage: bastion workflow show --workflow-id ID [--run-id RUN] [flags]

Prints a workflow execution's event history, one line per event: id, time, type and a
short summary (activity type, timer id, signal name, failure message, a preview of
json/plain payloads). With --output json, prints the history exactly as
\`temporal workflow show --output json\` does, ready for the replayer (historyFromJson).

Flags:
  -w, --workflow-id ID    the workflow id (required)
  -r, --run-id RUN        a run of it (default: the latest run)

${CONNECTION_FLAGS_HELP}
Examples:
  bastion workflow show --workflow-id order-1234
  bastion workflow show --workflow-id order-1234 --output json > order-1234.json
`;

type HistoryEvent = TemporalTypes.api.history.v1.IHistoryEvent;
type Attributes = Record<string, unknown> & {
  activityType?: { name?: string };
  workflowType?: { name?: string };
  taskQueue?: { name?: string };
  failure?: ProtoFailure;
};

/** The set `…EventAttributes` of an event. */
function attributesOf(event: HistoryEvent): Attributes {
  const attrs = (event as { attributes?: string }).attributes;
  const value = attrs ? (event as Record<string, unknown>)[attrs] : Object.entries(event).find(([k, v]) => k.endsWith('EventAttributes') && v)?.[1];
  return (value ?? {}) as Attributes;
}

/** `EVENT_TYPE_WORKFLOW_EXECUTION_STARTED` → `WorkflowExecutionStarted`. */
export function eventTypeName(type: unknown): string {
  return shortEnumName(temporal.api.enums.v1.EventType as unknown as Record<string, unknown>, type, 'EVENT_TYPE_');
}

const quote = (s: string) => (/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s);

/** The few attributes that say what an event is about, as `key=value` pairs. */
export function eventSummary(event: HistoryEvent): string {
  const a = attributesOf(event);
  const parts: string[] = [];
  const add = (key: string, value: unknown, raw = false) => {
    if (value !== undefined && value !== null && value !== '') parts.push(`${key}=${typeof value === 'string' && !raw ? quote(value) : String(value)}`);
  };
  add('type', a.workflowType?.name);
  add('activity', a.activityType?.name);
  add('activityId', a.activityId);
  add('timerId', a.timerId);
  if (a.startToFireTimeout) add('fireAfter', durationText(a.startToFireTimeout as never));
  add('signal', a.signalName);
  add('marker', a.markerName);
  add('workflowId', (a.workflowExecution as { workflowId?: string } | undefined)?.workflowId ?? (typeof a.workflowId === 'string' ? a.workflowId : undefined));
  add('taskQueue', a.taskQueue?.name);
  add('newRun', a.newExecutionRunId);
  const attempt = toNumber(a.attempt);
  if (attempt > 1) add('attempt', attempt);
  add('identity', a.identity);
  add('reason', a.reason);
  for (const key of ['input', 'result', 'details']) {
    const payloads = a[key] as { payloads?: unknown[] } | undefined;
    // Previews are JSON already: printed as they are, not quoted again.
    if (payloads?.payloads?.length) add(key, payloadsPreview(payloads as never), true);
  }
  if (a.failure) add('failure', failureText(a.failure));
  return truncate(parts.join(' '), 200);
}

export async function workflowShow(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    print(WORKFLOW_SHOW_HELP);
    return 0;
  }
  const flags = parseFlags(argv, { ...CONNECTION_FLAGS, ...EXECUTION_FLAGS }, 'workflow show');
  const execution = executionFromFlags(flags);
  const settings = operatorSettings(flags);
  const { namespace } = settings;
  const events: HistoryEvent[] = [];
  await withConnection(settings, async (connection) => {
    let nextPageToken: Uint8Array | undefined;
    do {
      const res = await connection.workflowService
        .getWorkflowExecutionHistory({ namespace, execution, nextPageToken })
        .catch((err: unknown) => Promise.reject(callFailed(err, { rpc: 'GetWorkflowExecutionHistory', namespace, ...execution })));
      const page = res.history?.events ?? [];
      events.push(...page);
      nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
      // A token with an empty page would repeat forever; Temporal only sends one with events.
      if (page.length === 0) break;
    } while (nextPageToken);
  });
  const codec = remoteCodec(settings);
  if (codec) await decodePayloadsIn(events, codec);
  if (settings.output !== 'text') {
    const history = historyToJson({ events }) as { events?: unknown[] };
    // jsonl: one event a line, as `temporal workflow show -o jsonl`.
    emit(settings.output, settings.output === 'jsonl' ? (history.events ?? []) : history, () => undefined);
    return 0;
  }
  print(
    table(
      ['ID', 'TIME', 'TYPE', 'DETAILS'],
      events.map((e) => [String(toNumber(e.eventId)), isoTime(e.eventTime), eventTypeName(e.eventType), eventSummary(e)]),
    ),
  );
  return 0;
}
