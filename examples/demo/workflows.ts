/** The demo's workflow: one activity, one durable timer, one signal-free result. */
import { proxyActivities, sleep, workflowInfo } from '../../src/workflow';
import type * as activities from './activities';

const { composeGreeting } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export async function greeting(name: string): Promise<string> {
  await sleep('100ms');
  const text = await composeGreeting('Hello', name);
  return `${text} (workflow ${workflowInfo().workflowId}, attempt ${workflowInfo().attempt})`;
}
