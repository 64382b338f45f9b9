/**
 * Bastion's typed errors. Every error has a stable `code`, passes `cause` through, and
 * answers `instanceof` across `node:vm` realms (a `Symbol.for` marker rather than the
 * prototype chain, because a workflow sandbox has its own `Error`).
 *
 * The classes are generated from {@link ERROR_CODES}, which is also the source of
 * `docs/errors.md` (`node scripts/gen-error-docs.js`).
 */

/** The area an error belongs to; each area has its own subclass. */
export type ErrorArea = 'config' | 'connection' | 'server' | 'state' | 'cli' | 'workflow' | 'converter' | 'bundle' | 'certs' | 'codec';

interface ErrorCodeInfo {
  readonly area: ErrorArea;
  /** One sentence for docs/errors.md: when it happens and what to do. */
  readonly doc: string;
}

/** Every error code Bastion raises, with its area and a sentence for the docs. */
export const ERROR_CODES = {
  ERR_INVALID_OPTION: { area: 'config', doc: 'An option has the wrong type or form; the message names it and the expected form.' },
  ERR_CONFLICTING_OPTIONS: { area: 'config', doc: 'Two options cannot be used together; the message names both.' },
  ERR_CONNECT_FAILED: { area: 'connection', doc: 'The first call to the server failed; the message gives the address, whether TLS was on, and the cause.' },
  ERR_CONNECTION_CLOSED: { area: 'connection', doc: 'A call was made on a connection after `close()`.' },
  ERR_TLS_CONFIG: { area: 'connection', doc: 'A TLS input (certificate, key or CA) could not be read or parsed; the message names the option.' },
  ERR_SERVER_START: { area: 'server', doc: 'The development server could not start (port in use, unreadable certificate, database error).' },
  ERR_SERVER_STORE: { area: 'server', doc: 'The development server database could not be opened or has an unknown schema.' },
  ERR_ILLEGAL_STATE: { area: 'state', doc: 'A method was called in a state that does not allow it; the message names the state.' },
  ERR_CLI_USAGE: { area: 'cli', doc: 'A command-line flag is unknown, missing a value, or malformed.' },
  ERR_PAYLOAD_CONVERTER: { area: 'converter', doc: 'A value could not be converted to a payload (a function, symbol, BigInt or circular value), or a payload could not be decoded (unknown `encoding`, missing data, unknown protobuf message type); the message names the encoding.' },
  ERR_FAILURE_CONVERTER: { area: 'converter', doc: 'A failure from the server lacks a field its kind requires (for example `activityFailureInfo.activityType.name`); the message names the field.' },
  ERR_NONDETERMINISM: { area: 'workflow', doc: 'Replaying a workflow produced commands that differ from its history; the message names the event id, what history recorded and what the code issued. Branch changed code with `patched()`.' },
  ERR_BUNDLE_DISALLOWED_MODULE: { area: 'bundle', doc: 'Workflow code (or a library it uses) imports a module that cannot run in the workflow sandbox (a Node built-in other than `assert`, `url`, `util`, or a client/worker/activity package); the message lists each module with its import chain. Move that code to an activity, or add the module to `ignoreModules` if it is imported but never called in workflow code.' },
  ERR_BUNDLE_FAILED: { area: 'bundle', doc: 'webpack could not build the workflow bundle (a syntax error, a module that cannot be found); the message carries webpack\'s messages.' },
  ERR_BUNDLE_INVALID: { area: 'bundle', doc: 'A workflow bundle did not install Bastion\'s workflow runtime (`globalThis.__bastion` is missing or lacks a method); build it with `bundleWorkflowCode`.' },
  ERR_WORKFLOW_TASK_DEADLOCK: { area: 'workflow', doc: 'Workflow code did not yield within the activation timeout (an infinite loop or heavy synchronous work); the workflow task fails and is retried in a fresh sandbox.' },
  ERR_WORKFLOW_FORBIDDEN_API: { area: 'workflow', doc: 'Workflow code used an API the sandbox forbids because it breaks deterministic replay (`WeakRef`, `FinalizationRegistry`); move that code to an activity.' },
  ERR_WORKFLOW_UNHANDLED_REJECTION: { area: 'workflow', doc: 'Workflow code left a promise rejection unhandled; the sandbox records it (the worker process keeps running) and the cause holds the rejection reason.' },
  ERR_CLI_NOT_FOUND: { area: 'cli', doc: 'An operator command (`bastion workflow describe`, `workflow show`, …) named a workflow execution or a namespace the server does not have; the message names it and the namespace. Check `--workflow-id`, `--run-id` and `--namespace`.' },
  ERR_CLI_CALL_FAILED: { area: 'cli', doc: 'The server answered an operator command with an error (for example a `--query` it cannot parse, or credentials it refuses); the message names the RPC and gives the gRPC status and the server\'s words.' },
  ERR_HISTORY_JSON_INVALID: { area: 'converter', doc: 'A history given as JSON (to `historyFromJson` or the replayer) is not a History in proto3 JSON: not an object with an `events` array, an unknown enum name, or a value of the wrong JSON type; the message names the event and field. Export histories with `bastion workflow show --output json` or `temporal workflow show --output json`.' },
  ERR_CERTS_INVALID_OPTION: { area: 'certs', doc: 'An option of the certificate toolkit (`createCertificateAuthority`, `issueCertificate`, …) has the wrong form or is out of range (for example `validityDays` above 365); the message names the option and the allowed values.' },
  ERR_CERTS_INVALID_PEM: { area: 'certs', doc: 'A certificate or private key given to the certificate toolkit could not be parsed; the message names the input (never its content). Pass PEM text (`BEGIN CERTIFICATE`, `BEGIN PRIVATE KEY`).' },
  ERR_CERTS_KEY_MISMATCH: { area: 'certs', doc: 'A private key given with a certificate (for example `ca.keyPem`) does not match the certificate\'s public key; pass the key that was issued with that certificate.' },
  ERR_CERTS_UNSUPPORTED: { area: 'certs', doc: 'The certificate toolkit was asked for something it does not do (for example a PKCS#12 file with an ECDSA key); the message says what is supported.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

const BASTION_ERROR = Symbol.for('bastion.error');
const AREA = Symbol.for('bastion.error.area');

/** Base class of every Bastion error. */
export class BastionError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, BASTION_ERROR, { value: true });
    Object.defineProperty(this, AREA, { value: ERROR_CODES[code].area });
  }

  override get name(): string {
    return this.constructor.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BASTION_ERROR] === true;
  }
}

type AreaErrorClass = new (code: ErrorCode, message: string, options?: { cause?: unknown }) => BastionError;

function defineAreaError(area: ErrorArea, className: string): AreaErrorClass {
  const cls = {
    [className]: class extends BastionError {
      static override [Symbol.hasInstance](value: unknown): boolean {
        return BastionError[Symbol.hasInstance](value) && (value as Record<symbol, unknown>)[AREA] === area;
      }
    },
  }[className]!;
  return cls;
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

/** Shorthand for the most common error: an option of the wrong form. */
export function invalidOption(option: string, problem: string): BastionError {
  return new ConfigError('ERR_INVALID_OPTION', `\`${option}\` ${problem}`);
}
