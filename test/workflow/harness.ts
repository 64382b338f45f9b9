/**
 * Drives the workflow runtime (Activator, cancellation scopes, timers) directly in
 * Node, the way the worker's sandbox does: the scopes' storage is an AsyncLocalStorage,
 * the run's Activator is made current, and each activation runs until its microtasks
 * and conditions settle before it is concluded. The runtime modules need no sandbox
 * globals for this (Date, Math.random and setTimeout are left as Node's).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Activator } from '../../src/workflow/runtime/activator';
import { initScopes, type CancellationScope } from '../../src/workflow/runtime/cancellation-scope';
import { setActivator } from '../../src/workflow/runtime/current';
import type { Activation, ActivationCompletion, Job, StartJob } from '../../src/common/activation-protocol';
import { sleep } from '../../src/workflow/timers';
import { defaultPayloadConverter } from '../../src/converter';

initScopes(new AsyncLocalStorage<CancellationScope>(), sleep);

/** Lets every queued promise callback run (all microtasks drain before a macrotask). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export const payload = (v: unknown) => defaultPayloadConverter.toPayload(v);
export const valueOf = (p: unknown) => defaultPayloadConverter.fromPayload(p as never);

export function startJob(workflowType: string, args: unknown[] = [], overrides: Partial<StartJob> = {}): StartJob {
  return {
    type: 'start',
    workflowType,
    args: args.map(payload),
    headers: {},
    randomnessSeed: 12345,
    info: {
      workflowId: 'wf-unit',
      runId: 'run-unit',
      workflowType,
      namespace: 'ns',
      taskQueue: 'tq',
      firstExecutionRunId: 'run-unit',
      originalExecutionRunId: 'run-unit',
      attempt: 1,
      startTimeMs: 1_000_000,
      runStartTimeMs: 1_000_000,
      taskTimeoutMs: 10_000,
    },
    ...overrides,
  };
}

export class Run {
  readonly activator: Activator;
  private clock = 1_000_000;

  constructor(workflows: Record<string, unknown>) {
    setActivator(undefined);
    this.activator = new Activator(workflows);
    setActivator(this.activator);
  }

  /** One activation with `jobs`, run to quiescence (conditions re-checked), then concluded. */
  async activate(jobs: Job[], options: Partial<Activation> = {}): Promise<ActivationCompletion> {
    setActivator(this.activator);
    this.clock += 1000;
    this.activator.activate({
      timestampMs: this.clock,
      isReplaying: false,
      historyLength: 3,
      historySizeBytes: 100,
      continueAsNewSuggested: false,
      jobs,
      ...options,
    });
    await settle();
    for (let n = 0; n < 100 && this.activator.tryUnblockConditions(); n++) await settle();
    return this.activator.concludeActivation();
  }
}

/** The command types of a completion, in order. */
export const types = (c: ActivationCompletion) => c.commands.map((x) => x.command.commandType as number);
