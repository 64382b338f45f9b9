/**
 * Defects the fuzz suite found and that were fixed, each pinned by the input that found it
 * (shrunk to its essence), so they stay fixed whatever seed a later run draws.
 */
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { rawServerSuite } from '../helpers/raw-server';
import { timed } from '../helpers/wait';

const { test, svc } = rawServerSuite('fuzz regressions: dev server');

async function callError(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('expected the call to fail');
}

// Seed 2167174929 case 340: the parse error quoted 20 UTF-16 units of the query, cutting an
// emoji in half; grpc-js cannot percent-encode the lone surrogate and the call ended UNKNOWN.
test('a visibility query error that quotes half an emoji answers INVALID_ARGUMENT, not UNKNOWN', timed(10_000, async () => {
  const query = `${'😀'.repeat(9)}é😀😀`; // the 20-unit window ends inside an emoji
  const e = await callError(svc().countWorkflowExecutions({ namespace: 'default', query }));
  assert.is(e.code, grpc.status.INVALID_ARGUMENT);
  assert.match(e.details, /`query` could not be parsed near/);
  assert.ok(e.details.includes('\ufffd'), 'the half emoji is shown as U+FFFD');
  const list = await callError(svc().listWorkflowExecutions({ namespace: 'default', query }));
  assert.is(list.code, grpc.status.INVALID_ARGUMENT);
}));

test.run();
