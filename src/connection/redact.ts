/**
 * Keeps secrets out of messages. Anything that came from outside (a cause's message, a
 * value a user passed where a file path was expected) goes through {@link redact} before
 * it is put in an error message or a trace line.
 */

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;
// Key material without its PEM armour: a long run of the base64 alphabet.
const BASE64_RUN = /[A-Za-z0-9+/]{40,}={0,2}/g;

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
  return text.replace(PEM_BLOCK, (_, label: string) => `[redacted ${label}]`).replace(BASE64_RUN, '[redacted]');
}

/** The message of an unknown thrown value, redacted and on one line. */
export function describeCause(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return redact(message).replace(/\s+/g, ' ').trim();
}
