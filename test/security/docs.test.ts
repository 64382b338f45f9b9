/**
 * docs/security.md stays true to the code: every limit it names (`DEFAULT_…`, `MAX_…`) is
 * an exported constant with the value the page gives, so a changed default fails here until
 * the page is updated; and the page keeps its reporting section and its README link.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as codecServer from '../../codecs/codec-server';
import * as compression from '../../codecs/compression-codec';
import * as cors from '../../codecs/http-cors';
import * as keyRing from '../../codecs/key-ring';
import * as watcher from '../../certs/certificate-watcher';
import * as devServer from '../../src/server/dev-server';
import * as service from '../../src/server/service';
import * as workflows from '../../src/server/workflows';
import * as requestLimits from '../../src/server/request-limits';
import * as inputLimits from '../../src/server/input-limits';
import * as visibility from '../../src/server/visibility';

const test = suite('docs/security.md');
const ROOT = path.resolve(__dirname, '../../..');
const doc = fs.readFileSync(path.join(ROOT, 'docs/security.md'), 'utf8');

type Unit = 'bytes' | 'ms' | 's' | 'count';
/** Each limit the page names: where it lives and its unit. */
const LIMITS: Record<string, [Record<string, unknown>, Unit]> = {
  DEFAULT_CODEC_SERVER_MAX_BODY_BYTES: [codecServer, 'bytes'],
  DEFAULT_MAX_DECOMPRESSED_BYTES: [compression, 'bytes'],
  DEFAULT_CORS_MAX_AGE_SECONDS: [cors, 's'],
  DEFAULT_KEY_CACHE_TTL_MS: [keyRing, 'ms'],
  DEFAULT_WATCH_SETTLE_MS: [watcher, 'ms'],
  DEFAULT_MAX_MESSAGE_BYTES: [devServer, 'bytes'],
  DEFAULT_BLOB_SIZE_LIMIT_BYTES: [devServer, 'bytes'],
  DEFAULT_HANDSHAKE_TIMEOUT_MS: [devServer, 'ms'],
  MAX_LONG_POLL_MS: [service, 'ms'],
  MAX_WORKFLOW_TASK_TIMEOUT_MS: [workflows, 'ms'],
  DEFAULT_CODEC_SERVER_MAX_DECODED_BYTES_PER_REQUEST: [codecServer, 'bytes'],
  DEFAULT_CODEC_SERVER_MAX_IN_FLIGHT_BYTES: [codecServer, 'bytes'],
  DEFAULT_CODEC_SERVER_MAX_PAYLOADS_PER_REQUEST: [codecServer, 'count'],
  DEFAULT_CODEC_SERVER_MAX_CONCURRENT_DECOMPRESSIONS: [codecServer, 'count'],
  DEFAULT_CODEC_SERVER_HEADERS_TIMEOUT_MS: [codecServer, 'ms'],
  DEFAULT_CODEC_SERVER_REQUEST_TIMEOUT_MS: [codecServer, 'ms'],
  DEFAULT_CODEC_SERVER_MAX_CONNECTIONS: [codecServer, 'count'],
  MAX_NESTING_DEPTH: [requestLimits, 'count'],
  MAX_ID_LENGTH: [inputLimits, 'count'],
  MAX_NAMESPACE_LENGTH: [inputLimits, 'count'],
  MAX_QUERY_BYTES: [visibility, 'bytes'],
  MAX_QUERY_DEPTH: [visibility, 'count'],
};

/** How the page writes a value: `4 MiB`, `60 s`, `100 ms`. */
function written(value: number, unit: Unit): string {
  if (unit === 'bytes') return value % (1024 * 1024) === 0 ? `${value / (1024 * 1024)} MiB` : value % 1024 === 0 ? `${value / 1024} KiB` : `${value} bytes`;
  if (unit === 's') return `${value} s`;
  if (unit === 'count') return String(value);
  return value % 1000 === 0 ? `${value / 1000} s` : `${value} ms`;
}

test('every limit named on the page is an exported constant with the value the page gives', () => {
  const named = [...new Set([...doc.matchAll(/`((?:DEFAULT|MAX)_[A-Z0-9_]+)`/g)].map((m) => m[1]!))];
  assert.ok(named.length >= 8, 'the page names its limits');
  for (const name of named) {
    const entry = LIMITS[name];
    assert.ok(entry, `docs/security.md names \`${name}\`; add it to LIMITS in this test with its module and unit`);
    const [module, unit] = entry;
    const value = module[name];
    assert.type(value, 'number', `\`${name}\` is exported as a number`);
    const expected = `\`${name}\` (${written(value as number, unit)}`;
    assert.ok(doc.includes(expected), `docs/security.md should say ${expected}…: update the page to the code's default`);
  }
});

test('the page says how to report a vulnerability privately, and the README links it', () => {
  assert.match(doc, /## Reporting a vulnerability/);
  assert.match(doc, /private GitHub security advisory/);
  assert.match(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), /\(docs\/security\.md\)/);
});

test.run();
