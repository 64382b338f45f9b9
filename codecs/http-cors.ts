/**
 * CORS for the codec server, as the Temporal Web UI needs it: the UI runs in a browser on
 * another origin and posts JSON with `X-Namespace` (and, with "pass access token",
 * `Authorization` and `Authorization-Extras`), so every call is preceded by a preflight.
 */
import { ConfigError, invalidOption } from '../src/common/errors';

/** CORS options of {@link createCodecServer}. */
export interface CodecServerCorsOptions {
  /**
   * Origins allowed to call the server from a browser, exactly as the browser sends them
   * (`https://temporal-ui.example.com`, scheme + host + port, no path). `'*'` allows any
   * origin, but not together with `credentials`.
   */
  origins: string[];
  /**
   * Answer `Access-Control-Allow-Credentials: true`, needed when the Web UI's "include
   * cross-origin credentials" (`TEMPORAL_CODEC_INCLUDE_CREDENTIALS`) is on.
   * @default false
   */
  credentials?: boolean;
  /**
   * How long a browser may cache a preflight answer, in seconds.
   * @default 600
   */
  maxAgeSeconds?: number;
}

/** Default preflight cache time, in seconds. */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 600;

/** The methods the codec endpoints take. */
export const CORS_ALLOW_METHODS = 'POST, OPTIONS';
/** The request headers the Web UI and the Temporal CLI send. */
export const CORS_ALLOW_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';

/** CORS options in their checked form. */
export interface CompiledCors {
  readonly anyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
  readonly credentials: boolean;
  readonly maxAgeSeconds: number;
}

/**
 * Checks and normalizes CORS options.
 * @throws {ConfigError} `ERR_CONFLICTING_OPTIONS` for `'*'` with `credentials: true`;
 *   `ERR_INVALID_OPTION` for an origin that is not `scheme://host[:port]`
 */
export function compileCors(options: CodecServerCorsOptions | undefined): CompiledCors | undefined {
  if (options === undefined) return undefined;
  if (!options || !Array.isArray(options.origins) || options.origins.length === 0) {
    throw invalidOption(
      'cors.origins',
      'must be a non-empty array of origins such as "https://temporal-ui.example.com". Leave `cors` out to send no CORS headers.',
    );
  }
  const credentials = options.credentials ?? false;
  if (typeof credentials !== 'boolean') throw invalidOption('cors.credentials', `must be true or false, got ${JSON.stringify(credentials)}.`);
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_CORS_MAX_AGE_SECONDS;
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0)
    throw invalidOption('cors.maxAgeSeconds', `must be a whole number of seconds, at least 0, got ${JSON.stringify(maxAgeSeconds)}.`);
  const origins = new Set<string>();
  let anyOrigin = false;
  for (const [i, origin] of options.origins.entries()) {
    if (origin === '*') {
      anyOrigin = true;
      continue;
    }
    origins.add(normalizeOrigin(origin, `cors.origins[${i}]`));
  }
  if (anyOrigin && credentials) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      '`cors.origins` contains "*" and `cors.credentials` is true: browsers refuse credentials with a wildcard origin, and allowing every site to send your users\' cookies would let any page decode payloads. List the Web UI\'s origins instead.',
    );
  }
  return { anyOrigin, origins, credentials, maxAgeSeconds };
}

function normalizeOrigin(origin: unknown, option: string): string {
  if (typeof origin !== 'string') throw invalidOption(option, `must be a string such as "https://temporal-ui.example.com", got ${typeof origin}.`);
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw invalidOption(
      option,
      `is ${JSON.stringify(origin)}, which is not an origin. Write it as the browser sends it: "https://temporal-ui.example.com" or "http://localhost:8080".`,
    );
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.origin === 'null' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search ||
    url.hash ||
    url.username
  ) {
    throw invalidOption(option, `is ${JSON.stringify(origin)}; an origin is scheme://host[:port] with no path, e.g. "https://temporal-ui.example.com".`);
  }
  return url.origin;
}

/** True when `origin` (the request's `Origin` header) may call the server. */
export function isOriginAllowed(cors: CompiledCors | undefined, origin: string | undefined): origin is string {
  if (!cors || !origin) return false;
  return cors.anyOrigin || cors.origins.has(origin);
}

/**
 * The CORS headers of an answer to a request from `origin`: none when the origin is not
 * allowed (the browser then withholds the answer from the page).
 * @param preflight add the preflight headers (methods, headers, max age)
 */
export function corsHeaders(cors: CompiledCors | undefined, origin: string | undefined, preflight: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!cors) return headers;
  // Answers depend on Origin whenever CORS is on, allowed or not: caches must key on it.
  headers.Vary = 'Origin';
  if (!isOriginAllowed(cors, origin)) return headers;
  // The request's own origin, never "*": it also works with credentials.
  headers['Access-Control-Allow-Origin'] = origin;
  if (cors.credentials) headers['Access-Control-Allow-Credentials'] = 'true';
  if (preflight) {
    headers['Access-Control-Allow-Methods'] = CORS_ALLOW_METHODS;
    headers['Access-Control-Allow-Headers'] = CORS_ALLOW_HEADERS;
    headers['Access-Control-Max-Age'] = String(cors.maxAgeSeconds);
  }
  return headers;
}
