/**
 * GetWorkflowExecutionHistory: pages with nextPageToken, the long poll `waitNewEvent`,
 * and the CLOSE_EVENT filter. A long poll that ends with nothing new answers an empty
 * page *with* a token, so callers poll again instead of spinning.
 */
import type { Engine } from './engine';
import { Enums } from './common';
import { invalidArgument } from './service-error';
import { isOpen } from './state';
import { encodePageToken, openPageToken } from './task-token';

const DEFAULT_PAGE = 1000;

export async function getWorkflowExecutionHistory(
  engine: Engine,
  req: Record<string, any>,
  holdMs: number,
  onCancel: (cb: () => void) => void,
): Promise<object> {
  engine.namespace(req.namespace);
  let exec;
  let next = 1;
  let last = 0;
  if (req.nextPageToken) {
    const t = openPageToken(engine.tokens, req.nextPageToken, req.namespace);
    exec = engine.executions.get(t.r);
    if (!exec || exec.namespace !== req.namespace) throw invalidArgument('`nextPageToken` names a run that no longer exists.');
    next = t.next;
    last = t.last;
  } else {
    exec = engine.requireRun(req.namespace, req.execution);
  }
  const runId = exec.runId;
  const namespace = exec.namespace;
  const closeOnly = req.historyEventFilterType === Enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
  const pageSize = req.maximumPageSize > 0 ? Math.min(req.maximumPageSize, DEFAULT_PAGE) : DEFAULT_PAGE;

  const answer = (): object | undefined => {
    const e = engine.executions.get(runId);
    // Deleted (DeleteWorkflowExecution) while a long poll waited: nothing more will come.
    if (!e) return { history: { events: [] } };
    const events = engine.history(runId);
    if (closeOnly) {
      if (!isOpen(e)) return { history: { events: [events[e.closeEventId! - 1]] } };
      return req.waitNewEvent ? undefined : { history: { events: [] } };
    }
    const end = last > 0 ? Math.min(last, events.length) : events.length;
    if (next <= end) {
      const to = Math.min(end, next + pageSize - 1);
      const more = to < end || (req.waitNewEvent && isOpen(e) && last === 0);
      return {
        history: { events: events.slice(next - 1, to) },
        nextPageToken: more ? encodePageToken(engine.tokens, namespace, runId, to + 1, last) : undefined,
      };
    }
    if (req.waitNewEvent && isOpen(e) && last === 0) return undefined;
    return { history: { events: [] } };
  };

  const first = answer();
  if (first) return first;
  // Long poll: wait for the next event of the run, or the hold time.
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(answer() ?? { history: { events: [] }, nextPageToken: encodePageToken(engine.tokens, namespace, runId, next, last) });
    };
    let unsubscribe = () => {};
    const wait = () => {
      unsubscribe = engine.onNextEvent(runId, () => {
        if (done) return;
        const a = engine.closed ? undefined : answer();
        if (a || engine.closed) finish();
        else wait();
      });
    };
    const timer = setTimeout(finish, Math.max(0, holdMs));
    wait();
    onCancel(() => {
      done = true;
      clearTimeout(timer);
      unsubscribe();
    });
  });
}
