/**
 * Type probe for the Client (compiled by test/types/client-types.test.ts, not by the build):
 * every line marked `@ts-expect-error` must be an error, every other line must compile.
 * These are the five mistakes the official client catches, and the results it infers.
 */
import { Client, type WorkflowHandle } from '../../../src/client';
import { defineQuery, defineSignal } from '../../../src/workflow';

async function greet(name: string, times: number): Promise<string> {
  return `${name}${times}`;
}
async function noArgs(): Promise<{ ok: boolean }> {
  return { ok: true };
}
const addSignal = defineSignal<[number]>('add');
const doneSignal = defineSignal('done');
const totalQuery = defineQuery<number, [string]>('total');

export async function probe(client: Client): Promise<void> {
  const opts = { taskQueue: 'q', workflowId: 'w' };

  // start / execute: args checked against the workflow function.
  const handle = await client.workflow.start(greet, { ...opts, args: ['a', 1] });
  // @ts-expect-error wrong argument type
  await client.workflow.start(greet, { ...opts, args: ['a', 'b'] });
  // @ts-expect-error missing args for a workflow that takes parameters
  await client.workflow.start(greet, { ...opts });
  // @ts-expect-error too many arguments
  await client.workflow.execute(greet, { ...opts, args: ['a', 1, 2] });
  await client.workflow.start(noArgs, { ...opts });

  // result() and execute() return the workflow's return type.
  const s: string = await handle.result();
  // @ts-expect-error result is a string, not a number
  const n: number = await handle.result();
  const r: { ok: boolean } = await client.workflow.execute(noArgs, { ...opts });
  // @ts-expect-error execute returns { ok: boolean }
  const wrong: string = await client.workflow.execute(noArgs, { ...opts });
  const typedHandle: WorkflowHandle<typeof greet> = client.workflow.getHandle<typeof greet>('w');
  const s2: string = await typedHandle.result();
  // A workflow named by string has an unknown result, not any.
  const u = await client.workflow.execute('greet', { ...opts, args: ['x'] });
  // @ts-expect-error unknown is not assignable to number
  const n2: number = u;

  // signal: arity and types checked.
  await handle.signal(addSignal, 1);
  // @ts-expect-error missing signal argument
  await handle.signal(addSignal);
  // @ts-expect-error wrong signal argument type
  await handle.signal(addSignal, 'one');
  await handle.signal(doneSignal);
  // @ts-expect-error a signal without parameters takes no arguments
  await handle.signal(doneSignal, 1);

  // query: arity checked, result inferred.
  const total: number = await handle.query(totalQuery, 'x');
  // @ts-expect-error missing query argument
  await handle.query(totalQuery);
  // @ts-expect-error the query answers a number
  const t2: string = await handle.query(totalQuery, 'x');

  // signalWithStart: both argument lists checked.
  await client.workflow.signalWithStart(greet, { ...opts, args: ['a', 1], signal: addSignal, signalArgs: [2] });
  // @ts-expect-error signalArgs of the wrong type
  await client.workflow.signalWithStart(greet, { ...opts, args: ['a', 1], signal: addSignal, signalArgs: ['2'] });

  void [s, n, r, wrong, s2, n2, total, t2];
}
