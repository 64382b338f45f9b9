/**
 * The WorkflowService as grpc-js handlers: each request is decoded into JSON form,
 * passed to the engine inside one `mutate`, and errors become gRPC statuses with
 * Temporal's codes. Methods the dev server does not implement answer UNIMPLEMENTED
 * with the method's name (docs/dev-server.md lists them).
 */
import { performance } from 'node:perf_hooks';
import type { MetricsRecorder } from '../observability/recorder';
import * as grpc from '@grpc/grpc-js';
import { WORKFLOW_SERVICE_NAME } from '../common/proto';
import type { Engine } from './engine';
import { toJsonForm } from './json-proto';
import { unaryService, type RequestClass, type ServedService } from './unary-service';
import { ServiceError, alreadyExists, clampStatusMessage, echo, wellFormed } from './service-error';
import { Enums, requireId } from './common';
import { MAX_NAMESPACE_LENGTH } from './input-limits';
import {
  startWorkflowExecution,
  signalWorkflowExecution,
  signalWithStartWorkflowExecution,
  requestCancelWorkflowExecution,
  terminateWorkflowExecution,
  describeWorkflowExecution,
  deleteWorkflowExecution,
} from './workflow-api';
import { respondWorkflowTaskCompleted, respondWorkflowTaskFailed, moveToNormalQueue } from './workflow-tasks';
import { completeActivity, failActivity, cancelActivity, heartbeat } from './activities';
import { queryWorkflow, respondQueryTaskCompleted } from './queries';
import { getWorkflowExecutionHistory } from './history-read';
import { listWorkflowExecutions, countWorkflowExecutions } from './visibility';
import { randomUUID } from 'node:crypto';
import type { QueueKind } from './matching';
import { guardCall, NAMESPACE_FILTER, type ApiKeyCheck } from './call-guard';
import { checkRequestLimits, limitsOf } from './request-limits';
import { SCHEDULE_HANDLERS } from './schedules/schedule-api';
import { executeMultiOperation, pollWorkflowExecutionUpdate, updateWorkflowExecution } from './updates';

export const SERVER_VERSION = '1.27.0';
/** Longest a long poll is held before answering "nothing yet". */
export const MAX_LONG_POLL_MS = 60_000;

export interface CallContext {
  /** How long a long poll may be held, from the caller's deadline. */
  holdMs: number;
  onCancel(cb: () => void): void;
  peer: string;
}

type Handler = (engine: Engine, req: Record<string, any>, ctx: CallContext) => object | Promise<object>;

const sync =
  (fn: (engine: Engine, req: Record<string, any>) => object): Handler =>
  (engine, req) =>
    engine.mutate(() => fn(engine, req));

function namespaceInfo(engine: Engine, name: string): object {
  const ns = engine.namespace(name);
  return {
    namespaceInfo: {
      name: ns.name,
      state: Enums.NamespaceState.NAMESPACE_STATE_REGISTERED,
      description: ns.description,
      ownerEmail: ns.ownerEmail,
      data: ns.data,
      id: ns.id,
      capabilities: { eagerWorkflowStart: false, syncUpdate: true, asyncUpdate: true },
      supportsSchedules: true,
    },
    config: {
      workflowExecutionRetentionTtl: { seconds: Math.floor(ns.retentionMs / 1000), nanos: 0 },
      historyArchivalState: Enums.ArchivalState.ARCHIVAL_STATE_DISABLED,
      visibilityArchivalState: Enums.ArchivalState.ARCHIVAL_STATE_DISABLED,
    },
    replicationConfig: { activeClusterName: 'active', clusters: [{ clusterName: 'active' }], state: Enums.ReplicationState.REPLICATION_STATE_NORMAL },
    failoverVersion: 0,
    isGlobalNamespace: false,
  };
}

function pollHandler(kind: QueueKind): Handler {
  return async (engine, req, ctx) => {
    engine.namespace(req.namespace);
    const queue = requireId(req.taskQueue?.name, 'taskQueue.name');
    const response = await engine.matching.poll(
      kind,
      { identity: req.identity || ctx.peer, queue, namespace: req.namespace, raw: req },
      ctx.holdMs,
      ctx.onCancel,
    );
    return response ?? {};
  };
}

function shutdownWorker(engine: Engine, req: Record<string, any>): object {
  engine.namespace(req.namespace);
  const sticky = req.stickyTaskQueue;
  if (!sticky) return {};
  for (const task of engine.matching.drain(req.namespace, 'workflow', sticky)) {
    const exec = engine.executions.get(task.runId);
    if (!exec) continue;
    if (task.type === 'query') {
      engine.dispatch(exec.namespace, 'workflow', exec.taskQueue, task);
    }
  }
  for (const exec of engine.executions.values()) {
    if (exec.namespace !== req.namespace || exec.sticky?.queue !== sticky) continue;
    if (exec.wft && !exec.wft.startedEventId && exec.wft.sticky) moveToNormalQueue(engine, exec);
    else {
      exec.sticky = undefined;
      engine.touch(exec);
    }
  }
  return {};
}

const HANDLERS: Record<string, Handler> = {
  GetSystemInfo: () => ({
    serverVersion: SERVER_VERSION,
    capabilities: {
      signalAndQueryHeader: true,
      internalErrorDifferentiation: true,
      activityFailureIncludeHeartbeat: true,
      supportsSchedules: true,
      encodedFailureAttributes: true,
      buildIdBasedVersioning: false,
      upsertMemo: true,
      eagerWorkflowStart: false,
      sdkMetadata: true,
      countGroupByExecutionStatus: false,
      nexus: false,
    },
  }),
  GetClusterInfo: () => ({
    supportedClients: {},
    serverVersion: SERVER_VERSION,
    clusterId: 'bastion-dev-server',
    clusterName: 'active',
    historyShardCount: 1,
    persistenceStore: 'bastion',
    visibilityStore: 'bastion',
  }),
  RegisterNamespace: sync((engine, req) => {
    const name = requireId(req.namespace, 'namespace', MAX_NAMESPACE_LENGTH);
    if (engine.namespaces.has(name))
      throw alreadyExists(`Namespace ${echo(name)} already exists.`, { typeName: 'temporal.api.errordetails.v1.NamespaceAlreadyExistsFailure', value: {} });
    const retentionSeconds = Number(req.workflowExecutionRetentionPeriod?.seconds ?? 24 * 3600);
    engine.putNamespace({
      name,
      id: randomUUID(),
      description: req.description ?? '',
      ownerEmail: req.ownerEmail ?? '',
      retentionMs: retentionSeconds * 1000,
      data: req.data ?? {},
    });
    return {};
  }),
  DescribeNamespace: (engine, req) => {
    if (!req.namespace && req.id) {
      const ns = [...engine.namespaces.values()].find((n) => n.id === req.id);
      return namespaceInfo(engine, ns?.name ?? req.id);
    }
    return namespaceInfo(engine, req.namespace);
  },
  ListNamespaces: (engine, req) => {
    // A key limited to some namespaces lists only those (see call-guard.ts).
    const visible: ((name: string) => boolean) | undefined = req[NAMESPACE_FILTER as never];
    return {
      namespaces: [...engine.namespaces.keys()]
        .filter((n) => !visible || visible(n))
        .sort()
        .map((n) => namespaceInfo(engine, n)),
    };
  },
  StartWorkflowExecution: sync(startWorkflowExecution),
  SignalWorkflowExecution: sync(signalWorkflowExecution),
  SignalWithStartWorkflowExecution: sync(signalWithStartWorkflowExecution),
  RequestCancelWorkflowExecution: sync(requestCancelWorkflowExecution),
  TerminateWorkflowExecution: sync(terminateWorkflowExecution),
  DeleteWorkflowExecution: sync(deleteWorkflowExecution),
  DescribeWorkflowExecution: (engine, req) => describeWorkflowExecution(engine, req),
  GetWorkflowExecutionHistory: (engine, req, ctx) => getWorkflowExecutionHistory(engine, req, ctx.holdMs, ctx.onCancel),
  ListWorkflowExecutions: (engine, req) => listWorkflowExecutions(engine, req),
  CountWorkflowExecutions: (engine, req) => countWorkflowExecutions(engine, req),
  QueryWorkflow: (engine, req, ctx) => queryWorkflow(engine, req, ctx.onCancel, Math.max(1000, ctx.holdMs)),
  RespondQueryTaskCompleted: (engine, req) => respondQueryTaskCompleted(engine, req),
  UpdateWorkflowExecution: (engine, req, ctx) => updateWorkflowExecution(engine, req, ctx),
  PollWorkflowExecutionUpdate: (engine, req, ctx) => pollWorkflowExecutionUpdate(engine, req, ctx),
  ExecuteMultiOperation: (engine, req, ctx) => executeMultiOperation(engine, req, ctx),
  PollWorkflowTaskQueue: pollHandler('workflow'),
  RespondWorkflowTaskCompleted: sync(respondWorkflowTaskCompleted),
  RespondWorkflowTaskFailed: sync(respondWorkflowTaskFailed),
  PollActivityTaskQueue: pollHandler('activity'),
  RecordActivityTaskHeartbeat: sync((e, r) => heartbeat(e, r, false)),
  RecordActivityTaskHeartbeatById: sync((e, r) => heartbeat(e, r, true)),
  RespondActivityTaskCompleted: sync((e, r) => completeActivity(e, r, false)),
  RespondActivityTaskCompletedById: sync((e, r) => completeActivity(e, r, true)),
  RespondActivityTaskFailed: sync((e, r) => failActivity(e, r, false)),
  RespondActivityTaskFailedById: sync((e, r) => failActivity(e, r, true)),
  RespondActivityTaskCanceled: sync((e, r) => cancelActivity(e, r, false)),
  RespondActivityTaskCanceledById: sync((e, r) => cancelActivity(e, r, true)),
  DescribeTaskQueue: (engine, req) => {
    engine.namespace(req.namespace);
    const name = requireId(req.taskQueue?.name, 'taskQueue.name');
    const kind: QueueKind = req.taskQueueType === Enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY ? 'activity' : 'workflow';
    return {
      pollers: engine.matching.pollers(req.namespace, kind, name).map((p) => ({
        lastAccessTime: { seconds: Math.floor(p.lastAccessTimeMs / 1000), nanos: (p.lastAccessTimeMs % 1000) * 1e6 },
        identity: p.identity,
        ratePerSecond: 100000,
        workerVersionCapabilities: p.buildId ? { buildId: p.buildId } : undefined,
      })),
      taskQueueStatus: req.includeTaskQueueStatus
        ? { backlogCountHint: engine.matching.backlogSize(req.namespace, kind, name), ratePerSecond: 100000 }
        : undefined,
    };
  },
  ShutdownWorker: sync(shutdownWorker),
  RecordWorkerHeartbeat: (engine, req) => {
    engine.namespace(req.namespace);
    return {};
  },
  ResetStickyTaskQueue: sync((engine, req) => {
    engine.namespace(req.namespace);
    const exec = engine.requireRun(req.namespace, req.execution);
    exec.sticky = undefined;
    engine.touch(exec);
    return {};
  }),
  CreateSchedule: sync(SCHEDULE_HANDLERS.CreateSchedule),
  DescribeSchedule: sync(SCHEDULE_HANDLERS.DescribeSchedule),
  UpdateSchedule: sync(SCHEDULE_HANDLERS.UpdateSchedule),
  PatchSchedule: sync(SCHEDULE_HANDLERS.PatchSchedule),
  DeleteSchedule: sync(SCHEDULE_HANDLERS.DeleteSchedule),
  ListSchedules: sync(SCHEDULE_HANDLERS.ListSchedules),
  CountSchedules: sync(SCHEDULE_HANDLERS.CountSchedules),
  ListScheduleMatchingTimes: sync(SCHEDULE_HANDLERS.ListScheduleMatchingTimes),
};

/** Names of the WorkflowService methods the dev server implements. */
export const IMPLEMENTED_METHODS = Object.keys(HANDLERS);

function toStatus(err: unknown, method: string, engine: Engine): Partial<grpc.StatusObject> {
  if (err instanceof ServiceError) {
    engine.logger.debug('rpc answered with an error', { method, code: grpc.status[err.status], message: err.message });
    return { code: err.status, details: err.message, metadata: err.toMetadata() };
  }
  engine.logger.error('internal error', { method, error: (err as Error)?.stack ?? String(err) });
  return { code: grpc.status.INTERNAL, details: wellFormed(clampStatusMessage(`internal error in ${method}: ${(err as Error)?.message ?? err}`)) };
}

const DECODE_ERROR = Symbol('decode-error');

/** The request in its JSON form, or the decode error for the handler to answer INVALID_ARGUMENT with. */
function decodeRequest(requestClass: RequestClass, bytes: Buffer): object {
  try {
    return toJsonForm(requestClass, requestClass.decode(bytes));
  } catch (err) {
    return { [DECODE_ERROR]: (err as Error).message };
  }
}

/** grpc-js service definition and implementation of the WorkflowService over `engine`. */
export function workflowServiceFor(engine: Engine, checkApiKey?: ApiKeyCheck, metrics?: MetricsRecorder): ServedService {
  const limits = limitsOf(engine);
  return unaryService(WORKFLOW_SERVICE_NAME, decodeRequest, (m) => {
    const handler = HANDLERS[m.name];
    return (call: grpc.ServerUnaryCall<Record<string | symbol, any>, object>, answer: grpc.sendUnaryData<object>) => {
      const began = metrics?.enabled ? performance.now() : 0;
      const callback: grpc.sendUnaryData<object> = metrics?.enabled
        ? (err, value) => {
            const code = err ? (err.code ?? grpc.status.UNKNOWN) : grpc.status.OK;
            metrics.count('bastion_dev_server_requests', { operation: m.name, status_code: grpc.status[code] ?? String(code) });
            metrics.durationMs('bastion_dev_server_request_latency', { operation: m.name }, performance.now() - began);
            answer(err, value);
          }
        : answer;
      const req = call.request;
      if (req[DECODE_ERROR]) {
        callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: clampStatusMessage(`${m.name}: the request could not be decoded as ${m.name}Request: ${req[DECODE_ERROR]}`),
        });
        return;
      }
      if (!handler) {
        callback({
          code: grpc.status.UNIMPLEMENTED,
          details: `WorkflowService/${m.name} is not implemented by the Bastion dev server (see docs/dev-server.md).`,
        });
        return;
      }
      if (engine.closed) {
        callback({ code: grpc.status.UNAVAILABLE, details: 'the Bastion dev server is shutting down' });
        return;
      }
      let refused;
      try {
        // Limits first: an oversized id, name or token never reaches a lookup (see call-guard.ts).
        checkRequestLimits(m.name, `temporal.api.workflowservice.v1.${m.name}Request`, req, limits);
        refused = guardCall(engine, m.name, req, call.metadata, checkApiKey);
      } catch (err) {
        callback(toStatus(err, m.name, engine));
        return;
      }
      if (refused) {
        callback(refused);
        return;
      }
      const deadline = call.getDeadline();
      const deadlineMs = deadline instanceof Date ? deadline.getTime() : typeof deadline === 'number' && Number.isFinite(deadline) ? deadline : Infinity;
      const holdMs = Math.max(0, Math.min(MAX_LONG_POLL_MS, deadlineMs - Date.now() - 2000));
      const ctx: CallContext = {
        holdMs,
        peer: call.getPeer(),
        onCancel: (cb) => call.once('cancelled', cb),
      };
      let result: object | Promise<object>;
      try {
        result = handler(engine, req, ctx);
      } catch (err) {
        callback(toStatus(err, m.name, engine));
        return;
      }
      if (result instanceof Promise) {
        result.then(
          (r) => callback(null, r),
          (err) => callback(toStatus(err, m.name, engine)),
        );
      } else {
        callback(null, result);
      }
    };
  });
}
