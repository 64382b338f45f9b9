/**
 * Bundles workflow code with webpack into one self-contained script that runs in a bare
 * `node:vm` context (the workflow sandbox): no `require`, no `window`, no Node built-ins
 * other than `assert`, `url` and `util` (as in the official SDK).
 *
 * ```ts
 * import { bundleWorkflowCode } from 'bastion-temporal/worker';
 * const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows') });
 * const worker = await Worker.create({ taskQueue: 'q', workflowBundle: bundle, activities });
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isBuiltin } from 'node:module';
import type * as Webpack from 'webpack';
import { BundleError, invalidOption, type BastionError } from '../common/errors';
import type { Logger } from '../common/logger';

/** Node built-ins that workflow code may import; each maps to a deterministic shim. */
export const ALLOWED_BUILTIN_MODULES: readonly string[] = Object.freeze(['assert', 'url', 'util']);

/** Packages that only make sense outside a workflow (I/O, clients, workers); importing one fails the bundle. */
export const DISALLOWED_PACKAGES: readonly string[] = Object.freeze([
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
  '@temporalio/core-bridge',
  '@temporalio/common/lib/internal-non-workflow',
  'bastion-temporal/activity',
  'bastion-temporal/client',
  'bastion-temporal/worker',
  'bastion-temporal/testing',
  'bastion-temporal/certs',
  'bastion-temporal/codecs',
  'bastion-temporal/native',
]);

const WORKFLOW_API_PATH = path.resolve(__dirname, '../workflow/index.js');

/** Where the workflow runtime's `installRuntime` lives (compiled). @default dist/src/workflow/runtime/install.js */
export const DEFAULT_RUNTIME_MODULE_PATH = path.resolve(__dirname, '../workflow/runtime/install.js');

/**
 * Module names that resolve to Bastion's workflow API, so workflow files written for the
 * official SDK (`import { sleep } from '@temporalio/workflow'`) run unchanged. Exact
 * matches only: `@temporalio/workflow/lib/...` subpaths are not mapped.
 */
export const DEFAULT_WORKFLOW_MODULE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  '@temporalio/workflow': WORKFLOW_API_PATH,
  'bastion-temporal/workflow': WORKFLOW_API_PATH,
});

/** The logger the bundler reports to (a `WorkerLogger` fits). */
export type BundleLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

/** Options of {@link bundleWorkflowCode}. */
export interface BundleOptions {
  /** A module (file, or directory with an index) that exports the workflow functions. */
  workflowsPath: string;
  /**
   * Modules that workflow code imports but never calls (for example a helper file's
   * `fs` import); each is replaced by an empty module instead of failing the bundle.
   * A name also covers its subpaths (`'fs'` covers `'fs/promises'` and `'node:fs'`).
   */
  ignoreModules?: string[];
  /** Receives the webpack configuration Bastion built and returns the one to use. */
  webpackConfigHook?: (config: Webpack.Configuration) => Webpack.Configuration;
  /** Receives the bundle's size and time, and webpack's warnings. @default no logging */
  logger?: BundleLogger;
  /** A module exporting `payloadConverter`; bundled and handed to the workflow runtime. */
  payloadConverterPath?: string;
  /** Modules exporting `interceptors()` (workflow inbound/outbound interceptors); bundled with the workflows. */
  workflowInterceptorModules?: string[];
  /** @internal The module exporting `installRuntime`. @default {@link DEFAULT_RUNTIME_MODULE_PATH} */
  runtimeModulePath?: string;
  /** @internal Replaces {@link DEFAULT_WORKFLOW_MODULE_ALIASES}. */
  moduleAliases?: Readonly<Record<string, string>>;
}

/** A bundle for the workflow sandbox. */
export interface WorkflowBundle {
  /** One script with an inline source map; evaluating it installs the workflow runtime. */
  code: string;
  /** The same source map as JSON, for tools that want it separately. */
  sourceMap?: string;
}

const ENTRY_ID = 'bastion-workflow-entry';
const BUILTIN_SHIM_PREFIX = 'bastion-builtin-';
const BUILTIN_SHIMS: Readonly<Record<string, string>> = {
  // The sandbox host provides these (see src/worker/sandbox/context-globals.ts).
  assert: 'module.exports = globalThis.__bastion_builtins.assert;',
  url: 'module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };',
  util: 'module.exports = { TextEncoder: globalThis.TextEncoder, TextDecoder: globalThis.TextDecoder };',
};
const OUTPUT_DIR = path.resolve('/bastion-workflow-bundle');
const OUTPUT_FILE = 'workflow-bundle.js';
const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;charset=utf-8;base64,([A-Za-z0-9+/=]+)\s*$/;

/** True when `request` is `module` or one of its subpaths. */
function moduleMatches(request: string, modules: readonly string[]): boolean {
  return modules.some((m) => request === m || request.startsWith(`${m}/`));
}

/**
 * Bundles `workflowsPath` and Bastion's workflow runtime into one script for the sandbox.
 * The same options give the same code.
 * @throws {ConfigError} `ERR_INVALID_OPTION` when `workflowsPath` (or another path) does not exist.
 * @throws {BundleError} `ERR_BUNDLE_DISALLOWED_MODULE` listing each disallowed import with its import chain.
 * @throws {BundleError} `ERR_BUNDLE_FAILED` with webpack's messages (syntax error, module not found).
 */
export async function bundleWorkflowCode(options: BundleOptions): Promise<WorkflowBundle> {
  const started = Date.now();
  const o = validate(options);
  const context = fs.statSync(o.workflowsPath).isDirectory() ? o.workflowsPath : path.dirname(o.workflowsPath);
  const webpack: typeof import('webpack') = require('webpack');
  const findings = new Map<string, { request: string; issuer: string }>();
  const ignored = o.ignoreModules.map((m) => m.replace(/^node:/, ''));

  const classify = (data: Webpack.ResolveData): false | void => {
    const request = data.request;
    if (ignored.length > 0 && moduleMatches(request.replace(/^node:/, ''), ignored)) {
      data.request = request.replace(/^node:/, ''); // the alias below maps it to an empty module
      return;
    }
    if (isBuiltin(request)) {
      const bare = request.replace(/^node:/, '');
      if (ALLOWED_BUILTIN_MODULES.includes(bare)) {
        data.request = `virtual:${BUILTIN_SHIM_PREFIX}${bare}`;
        return;
      }
    } else if (!moduleMatches(request, DISALLOWED_PACKAGES)) {
      return;
    }
    const issuer = data.contextInfo.issuer;
    findings.set(`${issuer}\0${request}`, { request, issuer });
    return false; // leave it out; the bundle fails below with every finding at once
  };

  const entrySource = workflowEntrySource(o);
  const virtualModules: Record<string, { source: () => string; type: string; context: string }> = {
    [ENTRY_ID]: { source: () => entrySource, type: '.js', context },
  };
  for (const [name, source] of Object.entries(BUILTIN_SHIMS)) {
    virtualModules[`${BUILTIN_SHIM_PREFIX}${name}`] = { source: () => source, type: '.js', context };
  }

  const alias: Record<string, string | false> = {};
  for (const [name, target] of Object.entries(o.moduleAliases)) alias[`${name}$`] = target;
  for (const m of ignored) alias[m] = false;

  const config: Webpack.Configuration = {
    mode: 'development',
    context,
    entry: { main: `virtual:${ENTRY_ID}` },
    target: ['web', 'es2022'],
    devtool: 'inline-source-map',
    cache: false,
    infrastructureLogging: { level: 'none' },
    performance: { hints: false },
    node: { global: true, __filename: 'mock', __dirname: 'mock' },
    resolve: { extensions: ['.js', '.mjs', '.cjs', '.json'], alias },
    optimization: { minimize: false, splitChunks: false, runtimeChunk: false },
    output: {
      path: OUTPUT_DIR,
      filename: OUTPUT_FILE,
      globalObject: 'globalThis',
      asyncChunks: false,
      compareBeforeEmit: false,
      devtoolModuleFilenameTemplate: '[absolute-resource-path]',
    },
    plugins: [
      new webpack.experiments.schemes.VirtualUrlPlugin(virtualModules),
      moduleCacheGlobalPlugin(webpack),
      {
        apply(compiler: Webpack.Compiler) {
          compiler.hooks.normalModuleFactory.tap('BastionModuleRules', (factory) => {
            factory.hooks.beforeResolve.tap('BastionModuleRules', classify);
          });
        },
      },
    ],
  };
  let compiler: Webpack.Compiler;
  try {
    compiler = webpack(options.webpackConfigHook ? options.webpackConfigHook(config) : config);
  } catch (err) {
    if (options.webpackConfigHook) throw invalidOption('webpackConfigHook', `returned a configuration webpack refuses: ${(err as Error).message}`);
    throw new BundleError('ERR_BUNDLE_FAILED', `webpack refused the bundler's configuration: ${(err as Error).message}`, { cause: err });
  }
  const output = new MemoryOutputFileSystem();
  compiler.outputFileSystem = output as unknown as Webpack.OutputFileSystem;

  let stats: Webpack.Stats;
  try {
    stats = await new Promise<Webpack.Stats>((resolve, reject) => {
      compiler.run((err, result) => (err || !result ? reject(err ?? new Error('webpack returned no stats')) : resolve(result)));
    });
  } catch (err) {
    throw new BundleError('ERR_BUNDLE_FAILED', `webpack could not bundle \`workflowsPath\` (${o.workflowsPath}): ${(err as Error).message}`, { cause: err });
  } finally {
    await new Promise<void>((resolve) => compiler.close(() => resolve()));
  }

  if (findings.size > 0) throw disallowedModulesError([...findings.values()], stats.compilation, context);
  const info = stats.toJson({ all: false, errors: true, warnings: true, moduleTrace: false });
  if (stats.hasErrors()) {
    const lines = (info.errors ?? []).map((e) => `  - ${e.moduleName ? `${e.moduleName}: ` : ''}${e.message.trim().replace(/\n/g, '\n    ')}`);
    const hint = /\.[cm]?tsx?$/.test(o.workflowsPath)
      ? '\n`workflowsPath` names a TypeScript file; the bundler reads JavaScript: point it at the compiled `.js` file, or add a loader with `webpackConfigHook`.'
      : '';
    throw new BundleError('ERR_BUNDLE_FAILED', `webpack could not bundle \`workflowsPath\` (${o.workflowsPath}):\n${lines.join('\n')}${hint}`);
  }
  for (const w of info.warnings ?? []) o.logger?.warn('webpack warning while bundling workflows', { module: w.moduleName, message: w.message });

  const code = output.files.get(path.join(OUTPUT_DIR, OUTPUT_FILE))?.toString('utf8');
  if (code === undefined)
    throw new BundleError(
      'ERR_BUNDLE_FAILED',
      'webpack finished without writing the workflow bundle; check `webpackConfigHook` (the output must stay one file).',
    );
  assertModuleCacheGlobal(code);
  const map = INLINE_MAP.exec(code);
  const sourceMap = map ? Buffer.from(map[1]!, 'base64').toString('utf8') : undefined;
  o.logger?.info('workflow bundle created', { workflowsPath: o.workflowsPath, sizeBytes: code.length, ms: Date.now() - started });
  return sourceMap === undefined ? { code } : { code, sourceMap };
}

/**
 * The bundle's entry. Loading the bundle evaluates what every run of a sandbox context
 * shares (the runtime, the workflow API, the converter and errors: their module
 * instances are shared, so a workflow's `import { sleep } from '@temporalio/workflow'`
 * gets the shared instance) and defines `globalThis.__bastion_install`, which the host
 * calls once per run: it evaluates the run's own instances of the workflows, payload
 * converter and interceptor modules (webpack's module cache is the run's, see
 * {@link MODULE_CACHE_GLOBAL}) and creates the run's Activator.
 */
function workflowEntrySource(o: ValidOptions): string {
  const req = (file: string) => `require(${JSON.stringify(file)})`;
  const shared = [...new Set(Object.values(o.moduleAliases))].filter((file) => fs.existsSync(file));
  return [
    "'use strict';",
    `const runtime = ${req(o.runtimeModulePath)};`,
    ...shared.map((file) => `${req(file)};`),
    "if (typeof runtime.installGlobals === 'function') runtime.installGlobals();",
    "const leave = typeof runtime.leaveRun === 'function' ? runtime.leaveRun : function leaveRun() {};",
    'const define = (name, value) => Object.defineProperty(globalThis, name, { value, writable: false, enumerable: false, configurable: false });',
    "define('__bastion_install', function __bastion_install() {",
    '  leave();',
    `  const workflows = ${req(o.workflowsPath)};`,
    `  const payloadConverterModule = ${o.payloadConverterPath ? req(o.payloadConverterPath) : 'undefined'};`,
    `  const interceptorModules = [${o.workflowInterceptorModules.map(req).join(', ')}];`,
    '  return runtime.installRuntime(workflows, payloadConverterModule, interceptorModules);',
    '});',
    "define('__bastion_leave', leave);",
  ].join('\n');
}

/**
 * Where the bundle keeps webpack's module cache: a global the sandbox host provides, so
 * that runs sharing a context each get their own instances of the user's modules (the
 * official SDK's design). Without it the bundle falls back to a plain object.
 */
export const MODULE_CACHE_GLOBAL = 'globalThis.__webpack_module_cache__';
const MODULE_CACHE_MARKER = '/* bastion-module-cache-marker-7c1d0e5b */\n';
const MODULE_CACHE_DECLARATION = /(?:var|let|const)\s+__webpack_module_cache__\s*=\s*\{\}/g;

/**
 * Rewrites the top-level `var __webpack_module_cache__ = {}` of the bundle's runtime to
 * read {@link MODULE_CACHE_GLOBAL}. The marker put in front of the top-level
 * `__webpack_require__` tells that declaration apart from those of pre-bundled
 * dependencies (which come earlier); it is stripped again.
 */
function moduleCacheGlobalPlugin(webpack: typeof import('webpack')): Webpack.WebpackPluginInstance {
  const name = 'BastionModuleCacheGlobal';
  return {
    apply(compiler: Webpack.Compiler) {
      compiler.hooks.compilation.tap(name, (compilation) => {
        const hooks = webpack.javascript.JavascriptModulesPlugin.getCompilationHooks(compilation);
        hooks.renderRequire.tap(name, (code) => `${MODULE_CACHE_MARKER}${code}`);
        hooks.renderMain.tap(name, (source) => {
          const code = source.source().toString();
          const marker = code.indexOf(MODULE_CACHE_MARKER);
          if (marker < 0) return source;
          let declaration: RegExpExecArray | null = null;
          MODULE_CACHE_DECLARATION.lastIndex = 0;
          for (let m = MODULE_CACHE_DECLARATION.exec(code); m !== null && m.index < marker; m = MODULE_CACHE_DECLARATION.exec(code)) declaration = m;
          const replaced = new webpack.sources.ReplaceSource(source);
          if (declaration) {
            replaced.replace(
              declaration.index,
              declaration.index + declaration[0].length - 1,
              declaration[0].replace(/=\s*\{\}$/, `= ${MODULE_CACHE_GLOBAL} || {}`),
            );
          }
          replaced.replace(marker, marker + MODULE_CACHE_MARKER.length - 1, '');
          return replaced;
        });
      });
    },
  };
}

/**
 * @throws {BundleError} `ERR_BUNDLE_FAILED` when the bundle does not keep its module cache in
 * {@link MODULE_CACHE_GLOBAL} (a webpack version or `webpackConfigHook` that changes the runtime).
 */
function assertModuleCacheGlobal(code: string): void {
  if (!code.includes(MODULE_CACHE_GLOBAL) || code.includes(MODULE_CACHE_MARKER.trim())) {
    throw new BundleError(
      'ERR_BUNDLE_FAILED',
      `The workflow bundle does not keep webpack's module cache in \`${MODULE_CACHE_GLOBAL}\`, which keeps the module state of workflow runs that share a sandbox context apart. ` +
        "Check that `webpackConfigHook` keeps webpack's runtime in the bundle (no `runtimeChunk`, no module federation), or use the webpack version Bastion ships with.",
    );
  }
}

interface ValidOptions {
  workflowsPath: string;
  ignoreModules: string[];
  payloadConverterPath: string | undefined;
  workflowInterceptorModules: string[];
  runtimeModulePath: string;
  moduleAliases: Readonly<Record<string, string>>;
  logger: BundleLogger | undefined;
}

function validate(options: BundleOptions): ValidOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'must be an object with `workflowsPath`.');
  const existing = (option: string, value: unknown): string => {
    if (typeof value !== 'string' || value === '') throw invalidOption(option, `must be a path to a module (file or directory), got ${typeof value}.`);
    const abs = path.resolve(value);
    if (!fs.existsSync(abs))
      throw invalidOption(option, `names ${abs}, which does not exist. Pass the path of a compiled module, e.g. \`require.resolve('./workflows')\`.`);
    return abs;
  };
  const ignoreModules = options.ignoreModules ?? [];
  if (!Array.isArray(ignoreModules) || ignoreModules.some((m) => typeof m !== 'string' || m === '')) {
    throw invalidOption('ignoreModules', "must be an array of module names, e.g. `['fs']`.");
  }
  if (options.webpackConfigHook !== undefined && typeof options.webpackConfigHook !== 'function') {
    throw invalidOption('webpackConfigHook', 'must be a function that takes and returns a webpack configuration.');
  }
  return {
    workflowsPath: existing('workflowsPath', options.workflowsPath),
    ignoreModules: [...new Set(ignoreModules)],
    payloadConverterPath: options.payloadConverterPath === undefined ? undefined : existing('payloadConverterPath', options.payloadConverterPath),
    workflowInterceptorModules: (options.workflowInterceptorModules ?? []).map((m, i) => existing(`workflowInterceptorModules[${i}]`, m)),
    runtimeModulePath: existing('runtimeModulePath', options.runtimeModulePath ?? DEFAULT_RUNTIME_MODULE_PATH),
    moduleAliases: options.moduleAliases ?? DEFAULT_WORKFLOW_MODULE_ALIASES,
    logger: options.logger,
  };
}

/** One error listing every disallowed import, each with the chain of modules that led to it. */
function disallowedModulesError(findings: Array<{ request: string; issuer: string }>, compilation: Webpack.Compilation, context: string): BastionError {
  const byResource = new Map<string, Webpack.Module>();
  for (const m of compilation.modules) {
    const resource = (m as Partial<Webpack.NormalModule>).resource;
    if (resource) byResource.set(resource, m);
  }
  const show = (file: string) => {
    const rel = path.relative(context, file);
    return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
  };
  const lines = findings.map(({ request, issuer }) => {
    const chain: string[] = [];
    let m = byResource.get(issuer);
    if (!m) chain.push(show(issuer));
    for (let depth = 0; m && depth < 50; depth++, m = compilation.moduleGraph.getIssuer(m) ?? undefined) {
      const resource = (m as Partial<Webpack.NormalModule>).resource;
      if (resource && !resource.startsWith('virtual:')) chain.unshift(show(resource));
    }
    return `  - '${request}': ${[...chain, `'${request}'`].join(' → ')}`;
  });
  const names = [...new Set(findings.map((f) => f.request.replace(/^node:/, '')))];
  return new BundleError(
    'ERR_BUNDLE_DISALLOWED_MODULE',
    'Workflow code imports modules that cannot run in the workflow sandbox (workflow code must be deterministic and do no I/O):\n' +
      `${lines.join('\n')}\n` +
      'Move the code that uses them to an activity (import activity types with `import type`), or, if a module is only ' +
      `imported and never called from workflow code, add it to \`ignoreModules\`: ${JSON.stringify(names)}.`,
  );
}

/** The few output-filesystem calls webpack makes, kept in memory. */
class MemoryOutputFileSystem {
  readonly files = new Map<string, Buffer>();

  mkdir(_dir: string, ...args: unknown[]): void {
    (args[args.length - 1] as (err: null) => void)(null);
  }

  writeFile(file: string, data: string | Uint8Array, ...args: unknown[]): void {
    this.files.set(file, Buffer.from(data as Uint8Array));
    (args[args.length - 1] as (err: null) => void)(null);
  }

  stat(file: string, callback: (err: NodeJS.ErrnoException | null, stats?: { isFile(): boolean; isDirectory(): boolean }) => void): void {
    if (this.files.has(file)) return callback(null, { isFile: () => true, isDirectory: () => false });
    const err: NodeJS.ErrnoException = new Error(`ENOENT: ${file}`);
    err.code = 'ENOENT';
    callback(err);
  }

  readFile(file: string, callback: (err: NodeJS.ErrnoException | null, data?: Buffer) => void): void {
    const data = this.files.get(file);
    if (data) callback(null, data);
    else this.stat(file, (err) => callback(err));
  }
}
