/**
 * Fuzzes history JSON given to the replayer: `historyFromJson` (src/engine/history-json.ts)
 * and `Worker.runReplayHistory` (src/worker/replay.ts), with JSON tree mutations of real
 * histories (from workflows run on a dev server) and history-aware ones: events dropped,
 * swapped, duplicated, retyped, ids changed. Invariants: every call settles in time and
 * fails only with a Bastion error with a code; heap growth after GC stays bounded.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from '../../src/worker';
import { historyFromJson, historyToJson } from '../../src/engine/history-json';
import { startBastionEnv, bastionBundle } from '../helpers/bastion-env';
import { runFuzz, formatReport, heapAfterGc, heapVerdict, expectBastionError, type FuzzTarget } from './harness';
import { mutateJson } from './json-inputs';
import type { Prng } from './prng';

const test = suite('fuzz: history JSON given to replay');
let code = '';
const histories: { events: Record<string, unknown>[] }[] = [];

interface Case {
  text: string;
  replay: boolean;
  notes: string[];
}

const EVENT_TYPES = [
  'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
  'WorkflowTaskScheduled',
  'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
  'ActivityTaskScheduled',
  'EVENT_TYPE_TIMER_STARTED',
  'MarkerRecorded',
  'EVENT_TYPE_UNSPECIFIED',
  'NotAnEvent',
  7,
  -1,
  99999,
];

/** History-aware mutations: the events array as a sequence. */
function mutateEvents(h: { events: Record<string, unknown>[] }, rng: Prng, notes: string[]): { events: Record<string, unknown>[] } {
  const events = JSON.parse(JSON.stringify(h.events)) as Record<string, unknown>[];
  const i = rng.int(events.length);
  const j = rng.int(events.length);
  switch (rng.int(6)) {
    case 0:
      events.splice(i, 1);
      notes.push(`event ${i} dropped`);
      break;
    case 1:
      [events[i], events[j]] = [events[j]!, events[i]!];
      notes.push(`events ${i} and ${j} swapped`);
      break;
    case 2:
      events.splice(i, 0, JSON.parse(JSON.stringify(events[j])));
      notes.push(`event ${j} duplicated at ${i}`);
      break;
    case 3:
      events[i]!.eventType = rng.pick(EVENT_TYPES);
      notes.push(`event ${i} retyped`);
      break;
    case 4:
      events[i]!.eventId = rng.pick(['0', '-5', String(2 ** 63), 'x', 1e300, null, events[j]!.eventId]) as unknown;
      notes.push(`event ${i} id changed`);
      break;
    default:
      events.length = rng.int(events.length + 1);
      notes.push(`history cut to ${events.length} events`);
  }
  return { events };
}

const target: FuzzTarget<Case> = {
  name: 'history-replay',
  iterations: 1000,
  caseDeadlineMs: 20_000,
  generate(rng) {
    const notes: string[] = [];
    let doc: unknown = rng.pick(histories);
    if (rng.chance(0.5)) doc = mutateEvents(doc as { events: Record<string, unknown>[] }, rng, notes);
    const m = rng.chance(0.8) ? mutateJson(doc, rng) : { text: JSON.stringify(doc), notes: [] };
    notes.push(...m.notes);
    return { text: m.text, replay: rng.chance(0.35), notes };
  },
  describe(c) {
    return `${c.replay ? 'runReplayHistory' : 'historyFromJson'}(${c.text.length} chars): ${c.notes.join('; ') || 'no mutation'}`;
  },
  async check(c) {
    const fn = c.replay ? 'runReplayHistory' : 'historyFromJson';
    try {
      if (c.replay) await Worker.runReplayHistory({ workflowBundle: { code } }, c.text);
      else historyFromJson(c.text);
      return `${fn} ok`;
    } catch (err) {
      expectBastionError(err, fn);
      return `${fn} ${(err as { code: string }).code}`;
    }
  },
};

test.before(async () => {
  const env = await startBastionEnv();
  try {
    const worker = await env.worker('fuzz-history');
    await worker.runUntil(async () => {
      for (const [wf, args] of [
        ['greet', ['a']],
        ['parallel', [3]],
        ['localGreet', ['b']],
      ] as const) {
        const h = await env.client.workflow.start(wf, { taskQueue: 'fuzz-history', workflowId: `fuzz-history-${wf}`, args: [...args] });
        await h.result();
        const raw = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: h.workflowId } });
        histories.push(historyToJson(raw.history!) as { events: Record<string, unknown>[] });
      }
    });
  } finally {
    await env.close();
  }
  code = (await bastionBundle()).code;
});

test('mutated history JSON replays or fails with a Bastion error', async () => {
  // The unmutated histories replay.
  for (const h of histories) await Worker.runReplayHistory({ workflowBundle: { code } }, JSON.stringify(h));
  const heapBefore = heapAfterGc();
  const report = await runFuzz(target);
  const { line, failure } = formatReport(target.name, 'dist/test/fuzz/history-replay.test.js', report);
  console.log(line);
  const growth = heapAfterGc() - heapBefore;
  if (failure) assert.unreachable(failure);
  const replays = [...report.outcomes].filter(([k]) => k.startsWith('runReplayHistory')).reduce((n, [, v]) => n + v, 0);
  const heap = heapVerdict(target.name, growth, 32 * 1024 * 1024, report.seed, `over ${report.cases} cases, ${replays} of them runReplayHistory calls`);
  if (heap) assert.unreachable(heap);
});

test.run();
