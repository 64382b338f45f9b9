#!/usr/bin/env node
'use strict';
// Runs in this process (no child): the official harness stops the server by killing this PID.
require('../dist/src/cli/test-server.js')
  .testServerMain(process.argv.slice(2))
  .then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`bastion-test-server: ${err && err.message ? err.message : err}\n`);
      process.exitCode = err && err.code === 'ERR_CLI_USAGE' ? 2 : 1;
    },
  );
