/**
 * Bearer-token authentication for the codec server: a fixed list of tokens compared in
 * constant time, or a `verify` function (for example one that checks the Web UI user's
 * JWT and the namespaces it grants).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { invalidOption } from '../src/common/errors';

/** What a `verify` function is given about the request. */
export interface CodecAuthRequest {
  /** `encode` or `decode`. */
  readonly operation: 'encode' | 'decode';
  /** The request's headers (lower-case names), e.g. `authorization-extras` (the Web UI's ID token). */
  readonly headers: IncomingMessage['headers'];
  /** The client's address. */
  readonly remoteAddress: string | undefined;
}

/**
 * Decides whether a bearer token may use a namespace. Return `false` when the token is
 * valid but not for this namespace (answered 403); throw when the token itself is not
 * valid, e.g. a bad signature or an expired JWT (answered 401).
 */
export type CodecAuthVerify = (token: string, namespace: string, request: CodecAuthRequest) => boolean | Promise<boolean>;

/**
 * `auth` of {@link createCodecServer}: either accepted `tokens` or a `verify` function.
 * Requests must carry `Authorization: Bearer <token>`, which is what the Web UI sends
 * with "pass access token" on and the Temporal CLI with `--codec-auth "Bearer <token>"`.
 */
export type CodecServerAuthOptions = { tokens: string[]; verify?: never } | { verify: CodecAuthVerify; tokens?: never };

/** The outcome of {@link authorize}. */
export type AuthOutcome = 'ok' | 'missing' | 'invalid' | 'forbidden';

/** Auth options in their checked form. */
export interface CompiledAuth {
  /** SHA-256 digests of the accepted tokens (equal length, so compared in constant time). */
  readonly digests?: readonly Buffer[];
  readonly verify?: CodecAuthVerify;
}

/**
 * Checks `auth` options.
 * @throws {ConfigError} `ERR_INVALID_OPTION` for an empty token list, an empty token, or both/neither of `tokens` and `verify`
 */
export function compileAuth(options: CodecServerAuthOptions | undefined): CompiledAuth | undefined {
  if (options === undefined) return undefined;
  const { tokens, verify } = (options ?? {}) as { tokens?: unknown; verify?: unknown };
  if ((tokens === undefined) === (verify === undefined)) {
    throw invalidOption('auth', 'takes exactly one of `tokens` (accepted bearer tokens) or `verify` (a function of the token and namespace).');
  }
  if (verify !== undefined) {
    if (typeof verify !== 'function')
      throw invalidOption('auth.verify', `must be a function (token, namespace, request) => boolean | Promise<boolean>, got ${typeof verify}.`);
    return { verify: verify as CodecAuthVerify };
  }
  if (!Array.isArray(tokens) || tokens.length === 0)
    throw invalidOption('auth.tokens', 'must be a non-empty array of strings. Leave `auth` out to run without authentication.');
  const digests = tokens.map((t, i) => {
    // The message names the index, never the token.
    if (typeof t !== 'string' || t.trim() === '') throw invalidOption(`auth.tokens[${i}]`, 'must be a non-empty string.');
    if (/\s/.test(t))
      throw invalidOption(`auth.tokens[${i}]`, 'contains white space, which a bearer token cannot carry. Check the file or variable it came from.');
    return digest(t);
  });
  return { digests };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/**
 * Decides a request: `missing` (no bearer token), `invalid` (a token that is not
 * accepted, or that `verify` threw on), `forbidden` (`verify` said no for this
 * namespace), or `ok`.
 */
export async function authorize(auth: CompiledAuth | undefined, req: IncomingMessage, namespace: string, operation: 'encode' | 'decode'): Promise<AuthOutcome> {
  if (!auth) return 'ok';
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) return 'missing';
  if (auth.digests) {
    const given = digest(token);
    // Compare against every token without stopping early: the time taken says nothing about which matched.
    let match = false;
    for (const d of auth.digests) match = timingSafeEqual(given, d) || match;
    return match ? 'ok' : 'invalid';
  }
  let allowed: boolean;
  try {
    allowed = await auth.verify!(token, namespace, { operation, headers: req.headers, remoteAddress: req.socket.remoteAddress });
  } catch {
    return 'invalid';
  }
  return allowed === true ? 'ok' : 'forbidden';
}
