'use strict';
/** One line per run on stderr: `[3/24] worker greet bastion run 2 … 212 wf/s`. */

function createProgress(total) {
  let done = 0;
  const started = Date.now();
  return {
    /** Records that one planned run finished, with a short summary of its figure. */
    step(label, summary) {
      done++;
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      process.stderr.write(`[${done}/${total}] ${label} … ${summary} (${secs} s)\n`);
    },
    /** A note that is not a run (set-up, a failure's detail). */
    note(line) {
      process.stderr.write(`        ${line}\n`);
    },
  };
}

module.exports = { createProgress };
