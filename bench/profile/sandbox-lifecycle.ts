/**
 * The sandbox side of a one-activity workflow, without a server: make a sandbox, run the
 * start activation (`greet("x")` schedules its activity), the activation that resolves the
 * activity (the workflow completes), dispose. Measures CPU per workflow with one shared
 * context per bundle or a context per run, alternating, in one process: the part of the worker that the profile's
 * sandbox thread spends its time on, free of network and machine noise.
 *
 *   node dist/bench/profile/sandbox-lifecycle.js [--count 2000] [--rounds 3] [--live 50] [--only shared|fresh]
 *
 * With `--memory N` (run with --expose-gc) it measures memory per live run instead: the
 * heap used after N runs have started and stay cached, less the heap before, over N, for
 * each variant in a fresh process-like state (one variant per process: `--variant`).
 *
 *   node --expose-gc dist/bench/profile/sandbox-lifecycle.js --memory 1000 --variant shared|fresh
 */
import * as path from 'node:path';
import { bundleWorkflowCode } from '../../src/worker/bundler';
import { WorkflowSandboxes, type WorkflowSandbox } from '../../src/worker/sandbox';
import { defaultPayloadConverter } from '../../src/converter';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const COMPLETE_WORKFLOW_EXECUTION = 4;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function main(): Promise<void> {
  const count = flag('count', 2000);
  const rounds = flag('rounds', 3);
  const live = flag('live', 50);
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const { code } = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../../test/fixtures/workflows.js'), logger: quiet });
  const arg = defaultPayloadConverter.toPayload('x');
  const result = defaultPayloadConverter.toPayload('Hello, x!');
  const start = (i: number) => ({
    timestampMs: 1_700_000_000_000,
    isReplaying: false,
    historyLength: 3,
    historySizeBytes: 300,
    continueAsNewSuggested: false,
    jobs: [
      {
        type: 'start',
        workflowType: 'greet',
        args: [arg],
        headers: {},
        randomnessSeed: i,
        info: {
          workflowId: `wf-${i}`,
          runId: `run-${i}`,
          workflowType: 'greet',
          namespace: 'default',
          taskQueue: 'q',
          firstExecutionRunId: `run-${i}`,
          originalExecutionRunId: `run-${i}`,
          attempt: 1,
          startTimeMs: 1_700_000_000_000,
          runStartTimeMs: 1_700_000_000_000,
          taskTimeoutMs: 10_000,
        },
      },
    ],
  });
  const resolve = {
    timestampMs: 1_700_000_000_050,
    isReplaying: false,
    historyLength: 9,
    historySizeBytes: 900,
    continueAsNewSuggested: false,
    jobs: [{ type: 'resolveActivity', seq: 1, result: { completed: result } }],
  };
  const memory = flag('memory', 0);
  if (memory > 0) {
    const variant = process.argv[process.argv.indexOf('--variant') + 1] === 'fresh' ? 'fresh' : 'shared';
    const sandboxes = new WorkflowSandboxes(code, { logger: quiet, reuseContexts: variant === 'shared' });
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('run with --expose-gc');
    // Warm up: the shared context (or the code cache) is made by the first run.
    for (let i = 0; i < 20; i++) {
      const s = sandboxes.create();
      s.runActivation(start(i), 5_000);
      s.dispose();
    }
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await nextTurn();
      }
      return process.memoryUsage();
    };
    const before = await settle();
    const held: WorkflowSandbox[] = [];
    for (let i = 0; i < memory; i++) {
      const s = sandboxes.create();
      s.runActivation(start(i), 5_000);
      held.push(s);
    }
    const after = await settle();
    for (const s of held) s.dispose();
    const released = await settle();
    const kib = (a: number, b: number) => +((a - b) / 1024 / memory).toFixed(1);
    process.stdout.write(
      JSON.stringify({
        variant,
        live: memory,
        sharedContext: sandboxes.sharesContext,
        heapKiBPerRun: kib(after.heapUsed, before.heapUsed),
        rssKiBPerRun: kib(after.rss, before.rss),
        heapKiBPerRunAfterDispose: kib(released.heapUsed, before.heapUsed),
      }) + '\n',
    );
    return;
  }
  const variants: Array<[string, WorkflowSandboxes]> = [
    ['shared', new WorkflowSandboxes(code, { logger: quiet })],
    ['fresh', new WorkflowSandboxes(code, { logger: quiet, reuseContexts: false })],
  ];
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  for (let round = 1; round <= rounds; round++) {
    for (const [name, sandboxes] of round % 2 ? variants : [...variants].reverse()) {
      if (only !== undefined && name !== only) continue;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      // `live` runs in flight at a time, as a worker with that many outstanding workflows.
      for (let i = 0; i < count; i += live) {
        const batch: WorkflowSandbox[] = [];
        for (let j = i; j < Math.min(count, i + live); j++) {
          const s = sandboxes.create();
          const c = s.runActivation(start(j), 5_000) as { commands: unknown[] };
          if (c.commands.length !== 1) throw new Error('the start activation should schedule one activity');
          batch.push(s);
        }
        for (const s of batch) {
          const c = s.runActivation(resolve, 5_000) as { commands: Array<{ command?: { commandType?: number } }> };
          if (c.commands[0]?.command?.commandType !== COMPLETE_WORKFLOW_EXECUTION)
            throw new Error(`the workflow should complete, got ${JSON.stringify(c.commands)}`);
          s.dispose();
        }
        await nextTurn();
      }
      const cpu = process.cpuUsage(cpu0);
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      process.stdout.write(
        JSON.stringify({
          variant: name,
          round,
          count,
          live,
          cpuMsPerWorkflow: +((cpu.user + cpu.system) / 1000 / count).toFixed(3),
          wallMsPerWorkflow: +(wall / count).toFixed(3),
          sharedContext: sandboxes.sharesContext,
        }) + '\n',
      );
    }
  }
}

main().catch((err) => {
  process.stderr.write(String((err as Error)?.stack ?? err) + '\n');
  process.exit(1);
});
