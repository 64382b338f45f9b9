/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and summarises it: self time per
 * function, and shares by area (workflow sandbox, protobuf, grpc-js/http2, Bastion's
 * engine, GC, idle…). Used by `worker-profile.ts`; also runnable on its own:
 *
 *   node dist/bench/profile/cpu-profile-summary.js FILE.cpuprofile [--top 15]
 */
import * as fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One function's self time. */
export interface FunctionRow {
  fn: string;
  where: string;
  area: string;
  selfMs: number;
  selfPct: number;
}

/** What {@link summarizeProfile} returns. */
export interface ProfileSummary {
  file: string;
  wallMs: number;
  /** Wall time minus `(idle)` samples. */
  busyMs: number;
  top: FunctionRow[];
  /** Area → self ms, over all samples. */
  areas: Record<string, number>;
  /** Pure computation over bytes (protobuf wire format, base64/UTF-8, hashing, crypto, zlib): function → self ms. */
  bytes: FunctionRow[];
}

/** The area a frame belongs to, from its script URL and name. */
export function areaOf(f: CallFrame): string {
  const u = f.url;
  const n = f.functionName;
  if (n === '(idle)') return 'idle';
  if (n === '(garbage collector)') return 'GC';
  if (n === '(program)') return 'V8/native (program)';
  if (n === '(root)') return 'root';
  if (u.includes('bastion-workflow-bundle') || u.startsWith('bastion-sandbox:') || u.includes('/src/worker/sandbox/') || u.includes('/src/workflow/'))
    return 'vm/sandbox (contexts, bundle, workflow code)';
  if (u === 'node:vm' || u.startsWith('node:internal/vm')) return 'vm/sandbox (contexts, bundle, workflow code)';
  if (u.includes('protobufjs') || u.includes('@temporalio/proto') || u.includes('@protobufjs')) return 'protobuf encode/decode';
  if (u.includes('@grpc/grpc-js') || u.includes('node:internal/http2') || u === 'node:http2') return 'grpc-js/http2';
  if (u.startsWith('node:internal/worker') || u.includes('internal/per_context/messageport')) return 'thread messaging';
  if (
    u.startsWith('node:net') ||
    u.startsWith('node:internal/stream') ||
    u.startsWith('node:internal/streams') ||
    u.startsWith('node:stream') ||
    u.includes('stream_base')
  )
    return 'node net/streams';
  if (u.includes('/src/engine/')) return 'our engine (history → activations)';
  if (u.includes('/src/converter/') || u.includes('/codecs/')) return 'our converter/codecs';
  if (u.includes('/src/worker/') || u.includes('/src/connection/') || u.includes('/src/common/')) return 'our worker/connection';
  if (u.includes('/src/client/') || u.includes('/bench/')) return 'client/bench harness';
  if (
    u.startsWith('node:internal/process/task_queues') ||
    u.startsWith('node:internal/timers') ||
    u.startsWith('node:internal/async_hooks') ||
    u.startsWith('node:async_hooks')
  )
    return 'node event loop/async hooks';
  if (u === '') return 'V8/native builtins';
  return 'node internals/other';
}

const BYTE_WORK =
  /(protobufjs\/src\/(reader|writer|util)|@protobufjs\/(utf8|base64|float)|node:buffer|node:internal\/buffer|node:crypto|node:internal\/crypto|node:zlib|libsodium)/;
const BYTE_NAMES =
  /^(utf8|base64|read|write|uint32|int64|fixed|sfixed|bytes|string|encode|decode|slice|toString|fromString|hash|digest|update|crc|inflate|deflate)/i;

/** Summarises one `.cpuprofile` file. */
export function summarizeProfile(file: string, topN = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute each sample the gap to the next one.
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, dt));
  }
  const fns = new Map<string, FunctionRow>();
  const areas: Record<string, number> = {};
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const area = areaOf(f);
    totalUs += us;
    if (area === 'idle') idleUs += us;
    areas[area] = (areas[area] ?? 0) + us / 1000;
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '(native)';
    const key = `${f.functionName}@${where}`;
    const row = fns.get(key) ?? { fn: f.functionName || '(anonymous)', where, area, selfMs: 0, selfPct: 0 };
    row.selfMs += us / 1000;
    fns.set(key, row);
  }
  const rows = [...fns.values()];
  for (const r of rows) r.selfPct = totalUs ? (100 * r.selfMs * 1000) / totalUs : 0;
  rows.sort((a, b) => b.selfMs - a.selfMs);
  const bytes = rows.filter((r) => BYTE_WORK.test(r.where) || (r.area === 'protobuf encode/decode' && BYTE_NAMES.test(r.fn)));
  return {
    file,
    wallMs: totalUs / 1000,
    busyMs: (totalUs - idleUs) / 1000,
    top: rows.filter((r) => r.area !== 'idle').slice(0, topN),
    areas,
    bytes,
  };
}

/** A Markdown rendering of a summary (percentages of the thread's busy time, i.e. without idle). */
export function summaryMarkdown(s: ProfileSummary, title: string): string {
  const pct = (ms: number) => (s.busyMs ? ((100 * ms) / s.busyMs).toFixed(1) : '0.0');
  const lines = [
    `### ${title}`,
    '',
    `Sampled ${(s.wallMs / 1000).toFixed(1)} s, busy (not idle) ${(s.busyMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / (s.wallMs || 1)).toFixed(0)}%). Percentages are of busy time.`,
    '',
  ];
  lines.push('| # | function | file:line | self % | area |', '|---|---|---|---|---|');
  s.top.forEach((r, i) => lines.push(`| ${i + 1} | \`${r.fn}\` | ${r.where} | ${pct(r.selfMs)} | ${r.area} |`));
  lines.push('', '| area | self % of busy |', '|---|---|');
  for (const [area, ms] of Object.entries(s.areas).sort((a, b) => b[1] - a[1])) if (area !== 'idle') lines.push(`| ${area} | ${pct(ms)} |`);
  const byteMs = s.bytes.reduce((a, r) => a + r.selfMs, 0);
  lines.push('', `Pure byte computation (protobuf wire reads/writes, UTF-8/base64, buffers, crypto, zlib): ${pct(byteMs)}% of busy in total; largest:`, '');
  for (const r of s.bytes.slice(0, 8)) lines.push(`- \`${r.fn}\` ${r.where}: ${pct(r.selfMs)}%`);
  return lines.join('\n') + '\n';
}

function shortUrl(u: string): string {
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const d = u.indexOf('/dist/');
  if (d >= 0) return u.slice(d + 1);
  return u.replace(/^file:\/\//, '');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile/cpu-profile-summary.js FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const t = process.argv.indexOf('--top');
  process.stdout.write(summaryMarkdown(summarizeProfile(file, t > 0 ? Number(process.argv[t + 1]) : 15), file));
}
