#!/usr/bin/env node
'use strict';
/** Writes docs/errors.md from the ERROR_CODES table in src/common/errors.ts (compiled). */
const fs = require('node:fs');
const path = require('node:path');

function render() {
  const { ERROR_CODES } = require('../dist/src/common/errors.js');
  const className = (area) => (area === 'state' ? 'IllegalStateError' : `${area[0].toUpperCase()}${area.slice(1)}Error`);
  const rows = Object.entries(ERROR_CODES).map(([code, info]) => `| \`${code}\` | \`${className(info.area)}\` | ${info.doc} |`);
  return `# Errors

Every error Bastion raises is a \`BastionError\` with a stable \`code\`; the subclass names
its area. \`instanceof\` works across \`node:vm\` realms (workflow sandboxes), because it
checks a \`Symbol.for\` marker rather than the prototype chain. The original error, when
there is one, is in \`cause\`. Messages name the option or field in backticks, say what
form was expected, and never contain secrets (key material, payload plaintext).

This page is generated from the table in \`src/common/errors.ts\` by
\`node scripts/gen-error-docs.js\`; a test checks it is current.

| code | class | when, and what to do |
|---|---|---|
${rows.join('\n')}

The development server answers gRPC statuses instead (see [dev-server.md](dev-server.md#errors)).
`;
}

module.exports = { render };
if (require.main === module) {
  fs.writeFileSync(path.join(__dirname, '..', 'docs', 'errors.md'), render());
  console.log('wrote docs/errors.md');
}
