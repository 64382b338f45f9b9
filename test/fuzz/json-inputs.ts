/**
 * Structure-aware mutation of JSON documents (codec-server bodies, history JSON): pick a
 * node of the parsed tree and replace, delete, duplicate or deepen it, or damage the text.
 * Each mutation names itself for the failure summary (paths and kinds, never values).
 */
import { wrongJsonValue } from './proto-inputs';
import type { Prng } from './prng';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Slot {
  parent: Json[] | { [k: string]: Json };
  key: string | number;
  path: string;
}

/** Every (parent, key) in the tree, up to `max` of them. */
function slots(root: Json, max = 5000): Slot[] {
  const out: Slot[] = [];
  const walk = (node: Json, path: string): void => {
    if (out.length >= max || node === null || typeof node !== 'object') return;
    if (Array.isArray(node))
      node.forEach((v, i) => {
        out.push({ parent: node, key: i, path: `${path}[${i}]` });
        walk(v, `${path}[${i}]`);
      });
    else
      for (const k of Object.keys(node)) {
        out.push({ parent: node, key: k, path: `${path}.${k}` });
        walk(node[k]!, `${path}.${k}`);
      }
  };
  walk(root, '$');
  return out;
}

/** Deeply nested JSON text: `depth` arrays or objects. */
export function deepJsonText(depth: number, rng: Prng): string {
  return rng.chance(0.5) ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const BASE64_DAMAGE = ['!!!!', '====', 'a', 'YQ', '-_-_', ' ', '\u00e9', 'AAAA'.repeat(3)];

/**
 * `count` mutations of `doc` (a deep copy is mutated); returns the text to send and what
 * was done. Some mutations work on the text (deep nesting, truncation, raw bytes).
 */
export function mutateJson(doc: unknown, rng: Prng, count = rng.range(1, 3)): { text: string; notes: string[] } {
  const root = JSON.parse(JSON.stringify(doc)) as Json;
  const notes: string[] = [];
  let deep: { path: string; text: string } | undefined;
  for (let i = 0; i < count; i++) {
    const all = slots(root);
    if (all.length === 0) break;
    const s = rng.pick(all);
    const cur = (s.parent as Record<string | number, Json>)[s.key];
    switch (rng.int(9)) {
      case 0:
        (s.parent as Record<string | number, unknown>)[s.key] = wrongJsonValue(rng);
        notes.push(`${s.path}: wrong type`);
        break;
      case 1:
        if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
        else delete s.parent[s.key as string];
        notes.push(`${s.path}: deleted`);
        break;
      case 2:
        if (Array.isArray(s.parent)) {
          const size = (JSON.stringify(cur) ?? '').length + 1;
          const n = Math.min(rng.pick([1, 2, 50, 2000]), Math.max(1, Math.floor(2_000_000 / size)));
          for (let k = 0; k < n; k++) s.parent.push(JSON.parse(JSON.stringify(cur ?? null)));
          notes.push(`${s.path}: duplicated ×${n}`);
        } else {
          s.parent[rng.pick(['__proto__', 'constructor', rng.string(4)])] = JSON.parse(JSON.stringify(cur ?? null));
          notes.push(`${s.path}: copied under another key`);
        }
        break;
      case 3:
        if (typeof cur === 'string') {
          (s.parent as Record<string | number, Json>)[s.key] = rng.chance(0.5) ? cur + rng.pick(BASE64_DAMAGE) : cur.slice(0, rng.int(cur.length + 1));
          notes.push(`${s.path}: string damaged`);
        } else if (typeof cur === 'number') {
          (s.parent as Record<string | number, Json>)[s.key] = rng.pick([-cur, cur + 1e6, -1, 0, 2 ** 53, 1.5, 1e308]);
          notes.push(`${s.path}: number changed`);
        }
        break;
      case 4:
        (s.parent as Record<string | number, Json>)[s.key] = 'A'.repeat(rng.pick([10_000, 300_000]));
        notes.push(`${s.path}: huge string`);
        break;
      case 5:
        deep = { path: s.path, text: deepJsonText(rng.pick([100, 5000, 200_000]), rng) };
        (s.parent as Record<string | number, Json>)[s.key] = '\u0000DEEP\u0000';
        notes.push(`${s.path}: deep nesting`);
        break;
      case 6:
        if (typeof cur === 'string' && /^[A-Za-z0-9+/=]*$/.test(cur) && cur.length > 0) {
          const bytes = Buffer.from(cur, 'base64');
          if (bytes.length) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
          (s.parent as Record<string | number, Json>)[s.key] = bytes.toString('base64');
          notes.push(`${s.path}: bit flipped in base64 bytes`);
        }
        break;
      case 7:
        (s.parent as Record<string | number, Json>)[s.key] = rng.chance(0.5) ? {} : [];
        notes.push(`${s.path}: emptied container`);
        break;
      default:
        (s.parent as Record<string | number, Json>)[s.key] = rng.string(rng.length(50));
        notes.push(`${s.path}: random string`);
    }
  }
  let text = JSON.stringify(root) ?? 'null';
  if (deep) text = text.replace('"\\u0000DEEP\\u0000"', deep.text);
  if (rng.chance(0.08)) {
    const at = rng.int(text.length + 1);
    text = text.slice(0, at);
    notes.push(`text truncated at ${at}`);
  }
  return { text, notes };
}
