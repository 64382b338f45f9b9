/**
 * Bastion's typed errors. Every error has a stable `code`, passes `cause` through, and
 * answers `instanceof` across `node:vm` realms (a `Symbol.for` marker rather than the
 * prototype chain, because a workflow sandbox has its own `Error`).
 *
 * The classes are generated from {@link ERROR_CODES}, which is also the source of
 * `docs/errors.md` (`node scripts/gen-error-docs.js`).
 */

/** The area an error belongs to; each area has its own subclass. */
export type ErrorArea = 'config' | 'connection' | 'server' | 'state' | 'cli' | 'workflow' | 'converter' | 'bundle' | 'certs' | 'codec' | 'client';

interface ErrorCodeInfo {
  readonly area: ErrorArea;
  /** One sentence for docs/errors.md: when it happens and what to do. */
  readonly doc: string;
  /** The class that raises it, when not the area's own class (the client's named errors). */
  readonly className?: string;
}

/** Every error code Bastion raises, with its area and a sentence for the docs. */
export const ERROR_CODES = {
  ERR_INVALID_OPTION: { area: 'config', doc: 'An option has the wrong type or form; the message names it and the expected form.' },
  ERR_CONFLICTING_OPTIONS: { area: 'config', doc: 'Two options cannot be used together; the message names both.' },
  ERR_NATIVE_PEER_MISSING: {
    area: 'config',
    doc: '`bastion-temporal/native` was imported, but the optional peer dependency it layers over (`@temporalio/worker`, and with it `@temporalio/client` and `@temporalio/common`) is not installed or is outside the supported range `^1.24.0`; the message names the package, the range and the `npm install` command. `encryptedDataConverter` raises it too when `@temporalio/common` (its failure converter) is missing. Nothing else in Bastion needs them.',
  },
  ERR_CONNECT_FAILED: { area: 'connection', doc: 'The first call to the server failed; the message gives the address, whether TLS was on, and the cause.' },
  ERR_CONNECTION_CLOSED: { area: 'connection', doc: 'A call was made on a connection after `close()`.' },
  ERR_TLS_ROTATION_REFUSED: {
    area: 'connection',
    doc: '`connection.setTlsConfig` (or a certificate watcher) was given TLS material that failed its checks (unreadable PEM, a key that does not belong to the certificate, outside its validity window, not allowed as a TLS client, not issued by the given CA) or that the server refused in a test handshake; the message names each problem, and the previous configuration stays in force.',
  },
  ERR_TLS_CERT_EXPIRED: {
    area: 'connection',
    doc: 'The client certificate of the connection has expired (for example when `Worker.create` is called on a long-lived connection whose certificate was not rotated); the message names the subject and the date. Rotate it with `connection.setTlsConfig` or `watchCertificateFiles`.',
  },
  ERR_TLS_CONFIG: { area: 'config', doc: 'A TLS input (certificate, key or CA) could not be read or parsed; the message names the option.' },
  ERR_TRACING_OTEL_MISSING: {
    area: 'config',
    doc: 'Tracing (`bastion-temporal/tracing`) was used but the optional peer package `@opentelemetry/api` (^1.9.0) is not installed. Install it next to Bastion (`npm install @opentelemetry/api@^1.9.0`).',
  },
  ERR_SERVER_START: { area: 'server', doc: 'The development server could not start (port in use, unreadable certificate, database error).' },
  ERR_SERVER_SQLITE_MISSING: {
    area: 'server',
    doc: 'The dev server was asked for `--db-filename`, but the optional package better-sqlite3 is not installed or its native addon did not build. Install `better-sqlite3@12`, or run in memory.',
  },
  ERR_SERVER_STORE: { area: 'server', doc: 'The development server database could not be opened or has an unknown schema.' },
  ERR_ILLEGAL_STATE: { area: 'state', doc: 'A method was called in a state that does not allow it; the message names the state.' },
  ERR_CLI_USAGE: { area: 'cli', doc: 'A command-line flag is unknown, missing a value, or malformed.' },
  ERR_PAYLOAD_CONVERTER: {
    area: 'converter',
    doc: 'A value could not be converted to a payload (a function, symbol, BigInt or circular value), or a payload could not be decoded (unknown `encoding`, missing data, unknown protobuf message type); the message names the encoding.',
  },
  ERR_FAILURE_CONVERTER: {
    area: 'converter',
    doc: 'A failure from the server lacks a field its kind requires (for example `activityFailureInfo.activityType.name`); the message names the field.',
  },
  ERR_NONDETERMINISM: {
    area: 'workflow',
    doc: 'Replaying a workflow produced commands that differ from its history; the message names the event id, what history recorded and what the code issued. Branch changed code with `patched()`.',
  },
  ERR_BUNDLE_DISALLOWED_MODULE: {
    area: 'bundle',
    doc: 'Workflow code (or a library it uses) imports a module that cannot run in the workflow sandbox (a Node built-in other than `assert`, `url`, `util`, or a client/worker/activity package); the message lists each module with its import chain. Move that code to an activity, or add the module to `ignoreModules` if it is imported but never called in workflow code.',
  },
  ERR_BUNDLE_FAILED: {
    area: 'bundle',
    doc: "webpack could not build the workflow bundle (a syntax error, a module that cannot be found); the message carries webpack's messages.",
  },
  ERR_BUNDLE_INVALID: {
    area: 'bundle',
    doc: "A workflow bundle did not install Bastion's workflow runtime (`globalThis.__bastion` is missing or lacks a method); build it with `bundleWorkflowCode`.",
  },
  ERR_WORKFLOW_TASK_DEADLOCK: {
    area: 'workflow',
    doc: 'Workflow code did not yield within the activation timeout (an infinite loop or heavy synchronous work); the workflow task fails and is retried in a fresh sandbox.',
  },
  ERR_WORKFLOW_FORBIDDEN_API: {
    area: 'workflow',
    doc: 'Workflow code used an API the sandbox forbids because it breaks deterministic replay (`WeakRef`, `FinalizationRegistry`); move that code to an activity.',
  },
  ERR_WORKFLOW_UNHANDLED_REJECTION: {
    area: 'workflow',
    doc: 'Workflow code left a promise rejection unhandled; the sandbox records it (the worker process keeps running) and the cause holds the rejection reason.',
  },
  ERR_CLI_NOT_FOUND: {
    area: 'cli',
    doc: 'An operator command (`bastion workflow describe`, `workflow show`, …) named a workflow execution or a namespace the server does not have; the message names it and the namespace. Check `--workflow-id`, `--run-id` and `--namespace`.',
  },
  ERR_CLI_CALL_FAILED: {
    area: 'cli',
    doc: "The server answered an operator command with an error (for example a `--query` it cannot parse, or credentials it refuses); the message names the RPC and gives the gRPC status and the server's words.",
  },
  ERR_CLI_CODEC_ENDPOINT: {
    area: 'cli',
    doc: 'The remote codec server named by `--codec-endpoint` could not be reached or refused to encode or decode (a 401/403 without the right `--codec-auth`, a 4xx/5xx, an answer that is not `{"payloads":[…]}` with as many payloads as sent); the message names the URL and the HTTP status, never a payload.',
  },
  ERR_HISTORY_JSON_INVALID: {
    area: 'converter',
    doc: 'A history given as JSON (to `historyFromJson` or the replayer) is not a History in proto3 JSON: not an object with an `events` array, an unknown enum name, or a value of the wrong JSON type; the message names the event and field. Export histories with `bastion workflow show --output json` or `temporal workflow show --output json`.',
  },
  ERR_CERTS_INVALID_OPTION: {
    area: 'certs',
    doc: 'An option of the certificate toolkit (`createCertificateAuthority`, `issueCertificate`, …) has the wrong form or is out of range (for example `validityDays` above 365); the message names the option and the allowed values.',
  },
  ERR_CERTS_INVALID_PEM: {
    area: 'certs',
    doc: 'A certificate or private key given to the certificate toolkit could not be parsed; the message names the input (never its content). Pass PEM text (`BEGIN CERTIFICATE`, `BEGIN PRIVATE KEY`).',
  },
  ERR_CERTS_KEY_MISMATCH: {
    area: 'certs',
    doc: "A private key given with a certificate (for example `ca.keyPem`) does not match the certificate's public key; pass the key that was issued with that certificate.",
  },
  ERR_CERTS_WATCH: {
    area: 'certs',
    doc: '`watchCertificateFiles` could not start: the certificate or key file cannot be read, or the pair in them is not a usable client certificate (the message lists each problem). Later changes that fail the same checks are logged and leave the previous pair in force.',
  },
  ERR_CERTS_UNSUPPORTED: {
    area: 'certs',
    doc: 'The certificate toolkit was asked for something it does not do (for example a PKCS#12 file encrypted with RC2 or another legacy cipher, or a certificate request for an Ed25519 key); the message says what is supported.',
  },
  ERR_CODEC_KEY_RING_INVALID: {
    area: 'codec',
    doc: 'A `KeyRing` could not be built: a key is not 32 bytes or not valid base64, a key id is not 1–64 printable characters, the `active` id is not among the keys, or the key file or environment variable is missing or not the JSON `{ "active": "<id>", "keys": { "<id>": "<base64>" } }`; the message names the entry, never the key.',
  },
  ERR_CODEC_KEY_UNKNOWN: {
    area: 'codec',
    doc: 'An encrypted payload names a key id the key ring does not hold; the message names the id and the ids it knows (the codec server answers with neither). Add the old key to the ring as a decrypt-only key (docs/key-rotation.md).',
  },
  ERR_CODEC_KEY_PROVIDER: {
    area: 'codec',
    doc: "The `KeyProvider` given to `KeyRing.fromProvider` failed or returned something other than a 32-byte key; the cause holds the provider's error.",
  },
  ERR_CODEC_AUTH_FAILED: {
    area: 'codec',
    doc: 'An encrypted payload failed authentication: its ciphertext, key id or workflow binding was altered, it was moved from another workflow or namespace, or the key under its id is not the one it was written with; nothing was decrypted.',
  },
  ERR_CODEC_CONTEXT_REQUIRED: {
    area: 'codec',
    doc: "An encrypted payload is bound to its namespace and workflow id (`bindToContext`), but `decode` was called without them; pass the workflow's context to `decode`.",
  },
  ERR_CODEC_MALFORMED: {
    area: 'codec',
    doc: 'An encoded payload is truncated or lacks the metadata its encoding needs (`encryption-key-id`, `encryption-cipher`, `compression`), or its compressed data is corrupt; the message names the payload and what is missing.',
  },
  ERR_CODEC_UNSUPPORTED: {
    area: 'codec',
    doc: 'An encoded payload was written with a cipher version or compression algorithm this codec does not read; the message names the metadata field and what is supported, never the value found. Upgrade Bastion on the reading side.',
  },
  ERR_CODEC_TOO_LARGE: {
    area: 'codec',
    doc: 'A compressed payload expands past `maxDecompressedBytes` (a decompression bomb, or a limit set too low), or a codec server request would decode past `maxDecodedBytesPerRequest` or carries more than `maxPayloadsPerRequest` payloads (answered 413); raise a limit only if the payloads are trusted.',
  },
  ERR_CODEC_SERVER_BUSY: {
    area: 'codec',
    doc: 'The codec server holds `maxInFlightBytes` of request bodies and decoded payloads for requests in progress, so it refused one more (answered 503 with `Retry-After`); retry, or raise `maxInFlightBytes` if the host has the memory.',
  },
  ERR_CODEC_SERVER_INSECURE_BIND: {
    area: 'codec',
    doc: 'The codec server was asked to listen on an address other than loopback without TLS or without authentication; give it `tls` and `auth` (`--tls-cert`/`--tls-key` and `--auth-token-env`/`--auth-token-file`), or accept the risk explicitly with `allowInsecureNonLoopback: true` (`--allow-insecure-bind`).',
  },
  ERR_CODEC_SERVER_PAYLOADS_INVALID: {
    area: 'codec',
    doc: 'A body sent to the codec server, or the input of `bastion payload decode`, is not Payloads in proto3 JSON (`{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`); the message names the field. The server answers it with HTTP 400.',
  },
  ERR_CODEC_SERVER_LISTEN: {
    area: 'codec',
    doc: 'The codec server could not listen (the port is in use or the address is not on this host); the message gives the address and the cause.',
  },
  ERR_CERTS_CSR_SIGNATURE: {
    area: 'certs',
    doc: 'A certificate signing request (CSR) given to `signCsr` or `bastion certs sign` does not carry a valid signature by its own key (it was altered, or damaged in transit); ask the requester for a new CSR.',
  },
  ERR_CERTS_INVALID_PKCS12: {
    area: 'certs',
    doc: 'A PKCS#12 (.p12/.pfx) file could not be read: not PKCS#12 DER, or without a private key and certificate; the message names the input and what is missing.',
  },
  ERR_CERTS_BAD_PASSWORD: {
    area: 'certs',
    doc: 'The password does not open a PKCS#12 file (its integrity MAC does not verify, or its key does not decrypt); pass the password the file was exported with. The message never holds the password.',
  },
  ERR_CERTS_FILE_EXISTS: {
    area: 'certs',
    doc: 'A `bastion certs` command would overwrite an existing output file; choose another path, or pass `--force` to replace it.',
  },
  ERR_CLIENT_WORKFLOW_FAILED: {
    area: 'client',
    className: 'WorkflowFailedError',
    doc: 'The workflow a client awaited (`handle.result()`, `execute`) closed unsuccessfully; `cause` holds the failure (ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure) and `retryState` says why it was not retried.',
  },
  ERR_CLIENT_WORKFLOW_NOT_FOUND: {
    area: 'client',
    className: 'WorkflowNotFoundError',
    doc: "No workflow execution with this id (and run id) exists in the namespace; the message names them. Check the id, the run id and the client's `namespace`.",
  },
  ERR_CLIENT_WORKFLOW_ALREADY_STARTED: {
    area: 'client',
    className: 'WorkflowExecutionAlreadyStartedError',
    doc: 'A workflow with this id is already running (or its id reuse policy refuses a new run); the message names the id and type. Use another `workflowId`, or `getHandle` to reach the running one.',
  },
  ERR_CLIENT_QUERY_NOT_REGISTERED: {
    area: 'client',
    className: 'QueryNotRegisteredError',
    doc: 'The workflow has no handler for the query type; the message names it and the handlers the workflow knows.',
  },
  ERR_CLIENT_QUERY_FAILED: {
    area: 'client',
    className: 'QueryFailedError',
    doc: "The query handler threw, or the query could not be answered (the run's workflow task keeps failing); `cause` holds the failure.",
  },
  ERR_OPTIONAL_PEER_MISSING: {
    area: 'config',
    doc: 'A feature that needs an optional peer package was turned on (metrics with `prom-client`, an OpenTelemetry `MeterProvider` with `@opentelemetry/api`) but the package is not installed or is outside the supported range; the message names the package, the range and the option. Install it (`npm install prom-client@15`), or turn the feature off.',
  },
  ERR_OBSERVABILITY_LISTEN: {
    area: 'config',
    doc: 'The metrics and health-probe HTTP server could not listen on the given host and port (in use, not allowed); the message names the address and the option.',
  },
  ERR_CLIENT_SCHEDULE_ALREADY_RUNNING: {
    area: 'client',
    className: 'ScheduleAlreadyRunning',
    doc: '`client.schedule.create` was given a `scheduleId` that a schedule in the namespace already has (the server answered ALREADY_EXISTS). Use another id, or `getHandle(scheduleId)` to reach the existing schedule.',
  },
  ERR_CLIENT_SCHEDULE_NOT_FOUND: {
    area: 'client',
    className: 'ScheduleNotFoundError',
    doc: 'No schedule with this id exists in the namespace (deleted, never created, or another `namespace`); the message names the id.',
  },
  ERR_CLIENT_UPDATE_FAILED: {
    area: 'client',
    className: 'WorkflowUpdateFailedError',
    doc: 'The workflow update failed: its validator rejected it, its handler threw a Temporal failure, the workflow has no handler for it, or the run closed before it completed; `cause` holds the failure (usually an ApplicationFailure).',
  },
  ERR_CLIENT_UPDATE_RPC_TIMEOUT_OR_CANCELLED: {
    area: 'client',
    className: 'WorkflowUpdateRPCTimeoutOrCancelledError',
    doc: 'The update call reached its deadline or was cancelled before the update reached the stage asked for; the update may still run. Call `handle.getUpdateHandle(updateId).result()` to wait for it again.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

const BASTION_ERROR = Symbol.for('bastion.error');
const AREA = Symbol.for('bastion.error.area');
/** The ids of every Bastion error class an instance was built by (its own and its ancestors'). */
const CLASSES = Symbol.for('bastion.error.classes');
/** A class's id for cross-realm `instanceof`: stable across realms and bundles (a string). */
const CLASS_ID = Symbol.for('bastion.error.classId');

function classIdOf(cls: Function): string {
  return Object.prototype.hasOwnProperty.call(cls, CLASS_ID) ? (cls as unknown as Record<symbol, string>)[CLASS_ID]! : `bastion.${cls.name}`;
}

/** The class ids from `ctor` up to and including `BastionError`. */
function classChain(ctor: Function): string[] {
  const ids: string[] = [];
  for (let c: Function | null = ctor; c && c !== Error && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    ids.push(classIdOf(c));
    if (c === BastionError) break;
  }
  return ids;
}

/**
 * Base class of every Bastion error.
 *
 * `instanceof` checks a `Symbol.for` marker that lists the classes the error was built by,
 * not the prototype chain, so an error made in a `node:vm` sandbox (another realm, another
 * copy of this module) still matches its own class and its ancestors, and nothing else:
 * a deadlock (`WorkflowError`) is not a `DeterminismError`.
 */
export class BastionError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, BASTION_ERROR, { value: true });
    Object.defineProperty(this, AREA, { value: ERROR_CODES[code]?.area });
    Object.defineProperty(this, CLASSES, { value: Object.freeze(classChain(new.target)) });
  }

  override get name(): string {
    return this.constructor.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const marked = value as Record<symbol, unknown>;
    if (marked[BASTION_ERROR] !== true) return false;
    const classes = marked[CLASSES];
    // Errors from an older copy of this module carry only the area marker.
    if (!Array.isArray(classes))
      return this === BastionError || (Object.prototype.hasOwnProperty.call(this, AREA) && marked[AREA] === (this as unknown as Record<symbol, unknown>)[AREA]);
    return classes.includes(classIdOf(this));
  }
}

Object.defineProperty(BastionError, CLASS_ID, { value: 'bastion.BastionError' });

type AreaErrorClass = new (code: ErrorCode, message: string, options?: { cause?: unknown }) => BastionError;

/**
 * The subclass of one area. Its constructor refuses a code of another area (a bug in the
 * caller: the code says which class to throw).
 */
function defineAreaError(area: ErrorArea, className: string): AreaErrorClass {
  const cls = {
    [className]: class extends BastionError {
      constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
        const info = ERROR_CODES[code] as ErrorCodeInfo | undefined;
        if (!info) throw new TypeError(`${className}: unknown error code ${String(code)}; add it to ERROR_CODES in src/common/errors.ts.`);
        if (info.area !== area)
          throw new TypeError(`${className} cannot carry ${code}, a code of the '${info.area}' area; throw ${areaClassName(info.area)} instead.`);
        super(code, message, options);
      }
    },
  }[className]!;
  Object.defineProperty(cls, CLASS_ID, { value: `bastion.${className}` });
  Object.defineProperty(cls, AREA, { value: area });
  return cls;
}

/** The class name of an area's errors (as docs/errors.md shows it). */
export function areaClassName(area: ErrorArea): string {
  return area === 'state' ? 'IllegalStateError' : `${area[0]!.toUpperCase()}${area.slice(1)}Error`;
}

/** Invalid or conflicting options. */
export const ConfigError = defineAreaError('config', 'ConfigError');
/** Connecting to, or calling, a Temporal server failed. */
export const ConnectionError = defineAreaError('connection', 'ConnectionError');
/** The development server failed to start or to persist. */
export const ServerError = defineAreaError('server', 'ServerError');
/** A method was called in a state that does not allow it. */
export const IllegalStateError = defineAreaError('state', 'IllegalStateError');
/** A command-line usage error. */
export const CliError = defineAreaError('cli', 'CliError');
/** A value or failure could not be converted to or from its wire form. */
export const ConverterError = defineAreaError('converter', 'ConverterError');
/** Workflow execution problems: nondeterminism, sandbox failures. */
export const WorkflowError = defineAreaError('workflow', 'WorkflowError');
/** Building a workflow bundle failed, or a bundle is not one Bastion built. */
export const BundleError = defineAreaError('bundle', 'BundleError');

/** The certificate toolkit (`certs/`) was given bad input or asked for something unsupported. */
export const CertsError = defineAreaError('certs', 'CertsError');

/** A payload codec (`codecs/`: encryption, compression) or the codec server was given bad input or keys. */
export const CodecError = defineAreaError('codec', 'CodecError');

/** Errors of Bastion's Client (each raised through its named subclass, as in `@temporalio/client`). */
export const ClientError = defineAreaError('client', 'ClientError');

/** Shorthand for the most common error: an option of the wrong form. */
export function invalidOption(option: string, problem: string): BastionError {
  return new ConfigError('ERR_INVALID_OPTION', `\`${option}\` ${problem}`);
}

/** A boolean option: `dflt` when absent, an `ERR_INVALID_OPTION` naming `option` when not a boolean. */
export function booleanOption(value: unknown, option: string, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') throw invalidOption(option, `must be \`true\` or \`false\`, got ${String(value)}.`);
  return value;
}
