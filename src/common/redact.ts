/**
 * Keeps secrets out of messages, logs and printed objects: the one place that knows how.
 *
 * - {@link redact} / {@link describeCause}: text that came from outside (a cause's message,
 *   a value a user passed where a file path was expected) goes through them before it is
 *   put in an error message or a trace line.
 * - {@link defineRedactedView} / {@link redactedInspect}: objects that hold a secret (an API
 *   key, a private key, TLS material, encryption keys, tokens) render through a view that
 *   names the secret but never shows it, under `util.inspect` (any depth, `showHidden`
 *   too) and `JSON.stringify`.
 *
 * No Node I/O is imported here (the inspect hook is the registered symbol), so any layer
 * may use it.
 */

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;
// Damaged armour (fewer dashes, lower case, spaces): still a PEM block, up to its END line or the end.
const LOOSE_PEM_BLOCK = /-{2,}\s*BEGIN\s*([A-Za-z0-9 ]*?)\s*-{2,}[\s\S]*?(?:-{2,}\s*END\b[^\n]*|$)/gi;
// A PEM body without armour: lines of the base64 alphabet, the last one possibly short.
const BASE64_LINES = /(?:[A-Za-z0-9+/]{16,}={0,2}[ \t]*\r?\n[ \t]*)+[A-Za-z0-9+/]*={0,2}/g;
// Key material on one line: a long run of the base64 alphabet.
const BASE64_RUN = /[A-Za-z0-9+/]{40,}={0,2}/g;

/** What a secret is replaced with in views and messages. */
export const REDACTED = '[redacted]';

/** `util.inspect.custom`, without importing `node:util`. */
export const INSPECT_CUSTOM: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/**
 * Replaces PEM blocks (complete or truncated) with `[redacted <LABEL>]` and long base64 runs
 * with `[redacted]`.
 *
 * ```ts
 * redact(`bad key: ${pemKeyText}`); // a PEM private key block
 * // 'bad key: [redacted PRIVATE KEY]'
 * ```
 */
export function redact(text: string): string {
  return text
    .replace(PEM_BLOCK, (_, label: string) => `[redacted ${label}]`)
    .replace(LOOSE_PEM_BLOCK, (_, label: string) => `[redacted ${label.trim().toUpperCase() || 'PEM'}]`)
    .replace(BASE64_LINES, REDACTED)
    .replace(BASE64_RUN, REDACTED);
}

/** The message of an unknown thrown value, redacted and on one line. */
export function describeCause(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return redact(message).replace(/\s+/g, ' ').trim();
}

/** `[redacted]` when a secret is set, `undefined` when it is not: says whether, never what. */
export function redactedIfSet(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : REDACTED;
}

type InspectFn = (value: unknown, options?: object) => string;

/**
 * The body of an `[util.inspect.custom]` method: `Name { …view }`, formatted with the
 * caller's options (colours, depth) when Node passes its `inspect`.
 *
 * ```ts
 * [INSPECT_CUSTOM](depth: number, options: object, inspect: InspectFn) {
 *   return redactedInspect('Connection', { address, apiKey: redactedIfSet(apiKey) }, depth, options, inspect);
 * }
 * ```
 */
export function redactedInspect(name: string, view: object, depth: number, options: unknown, inspect: unknown): string {
  if (typeof inspect !== 'function') return `${name} ${JSON.stringify(view)}`;
  if (depth < 0) return `[${name}]`;
  const opts = { ...(options as object), depth: (options as { depth?: number | null } | undefined)?.depth == null ? null : depth };
  return `${name} ${(inspect as InspectFn)(view, opts)}`;
}

/**
 * Gives a plain object (options, TLS settings, a profile) non-enumerable
 * `[util.inspect.custom]` and `toJSON` hooks that render `view(target)` instead of it, so
 * `console.log`, `util.inspect` (any depth, `showHidden`) and `JSON.stringify` show the
 * view. Call it before freezing. Spreading the object drops the hooks: apply it again to
 * the copy.
 *
 * @returns `target`
 */
export function defineRedactedView<T extends object>(target: T, name: string, view: (target: T) => object): T {
  Object.defineProperty(target, INSPECT_CUSTOM, {
    value: (depth: number, options: unknown, inspect: unknown) => redactedInspect(name, view(target), depth, options, inspect),
    enumerable: false,
  });
  Object.defineProperty(target, 'toJSON', { value: () => view(target), enumerable: false });
  return target;
}

/**
 * A result that carries a PEM private key as `keyPem` (an issued certificate, a CSR, an
 * imported PKCS#12), with a view that shows everything else and `keyPem: '[redacted]'`.
 * `result.keyPem` itself is unchanged: write it to a file readable by its owner only.
 */
export function withKeyPemView<T extends { keyPem: string }>(name: string, result: T): T {
  return defineRedactedView(result, name, (r) => ({ ...r, keyPem: REDACTED }));
}

/**
 * A value that was taken as a file path, for a message: quoted (after {@link redact}) when
 * it looks like a path; described, never quoted, when it is several lines or very long
 * (key material or PEM text with damaged armour given where a path was expected).
 */
export function describePathInput(value: string): string {
  if (/[\r\n]/.test(value) || value.length > 4096)
    return `the given text (${value.length} characters on ${value.split(/\r?\n/).length} lines; not a file path)`;
  return JSON.stringify(redact(value));
}

/** A copy of an error (a Node fs or OpenSSL error) with its message redacted and its `code` kept, safe to keep as `cause`. */
export function redactedCause(err: unknown): Error {
  const e = err as NodeJS.ErrnoException | undefined;
  const copy = new Error(redact(e?.message ?? String(err)));
  if (e?.code) Object.assign(copy, { code: e.code });
  return copy;
}
