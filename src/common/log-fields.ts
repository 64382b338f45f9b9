/**
 * Fields every log record of a worker carries: a logger wrapped with {@link withLogFields}
 * adds them to each record's `meta` (the record's own fields win), so the records of a
 * worker, an activity or a workflow run can be told apart and filtered in any log store.
 */
import type { Logger, LogMeta } from './logger';

/** A logger that adds `fields` to the meta of every record it passes on to `logger`. */
export function withLogFields(logger: Logger, fields: LogMeta): Logger {
  const wrap = (fn: ((message: string, meta?: LogMeta) => void) | undefined) =>
    fn ? (message: string, meta?: LogMeta) => fn.call(logger, message, meta === undefined ? { ...fields } : { ...fields, ...meta }) : undefined;
  const out: Logger = {
    debug: wrap(logger.debug)!,
    info: wrap(logger.info)!,
    warn: wrap(logger.warn)!,
    error: wrap(logger.error)!,
  };
  const trace = wrap(logger.trace);
  if (trace) out.trace = trace;
  return out;
}

/** The fields of an activity's records (the official SDK's names). */
export function activityLogFields(info: {
  activityId: string;
  activityType: string;
  workflowExecution: { workflowId: string; runId: string };
  workflowType: string;
  activityNamespace?: string;
  workflowNamespace?: string;
  taskQueue: string;
  attempt: number;
  isLocal: boolean;
}): LogMeta {
  return {
    sdkComponent: 'activity',
    namespace: info.activityNamespace || info.workflowNamespace,
    taskQueue: info.taskQueue,
    workflowId: info.workflowExecution.workflowId,
    runId: info.workflowExecution.runId,
    workflowType: info.workflowType,
    activityId: info.activityId,
    activityType: info.activityType,
    attempt: info.attempt,
    isLocal: info.isLocal,
  };
}

/** The fields of a workflow run's records, from its `workflowInfo()`. */
export function workflowLogFields(info: Record<string, unknown>): LogMeta {
  return {
    sdkComponent: 'workflow',
    namespace: info.namespace,
    taskQueue: info.taskQueue,
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.workflowType,
  };
}
