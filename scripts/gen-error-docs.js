#!/usr/bin/env node
'use strict';
/** Writes docs/errors.md from the ERROR_CODES table in src/common/errors.ts (compiled). */
const fs = require('node:fs');
const path = require('node:path');

function render() {
  const { ERROR_CODES } = require('../dist/src/common/errors.js');
  const { areaClassName } = require('../dist/src/common/errors.js');
  const className = (info) => info.className ?? areaClassName(info.area);
  const rows = Object.entries(ERROR_CODES).map(([code, info]) => `| \`${code}\` | \`${className(info)}\` | ${info.doc} |`);
  return `# Errors

Every error Bastion raises is a \`BastionError\` with a stable \`code\`; the subclass names
its area (the client's errors keep the names of \`@temporalio/client\`). \`instanceof\`
works across \`node:vm\` realms (workflow sandboxes) and matches only the class itself and
its ancestors: it checks a \`Symbol.for\` marker listing the classes the error was built
by, rather than the prototype chain. A class refuses a code of another area. The original
error, when there is one, is in \`cause\`. Messages name the option or field in
backticks, say what form was expected, and never contain secrets (key material, payload
plaintext). Every class is exported from \`bastion-temporal\`, and each from the subpath
whose calls raise it (\`bastion-temporal/worker\`, \`bastion-temporal/client\`,
\`bastion-temporal/certs\`, \`bastion-temporal/codecs\`, \`bastion-temporal/testing\`).

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
