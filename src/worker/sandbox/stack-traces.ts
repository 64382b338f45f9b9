/**
 * Stack traces of workflow code, mapped through the bundle's inline source map so they
 * name the workflow's own files and lines instead of positions in the bundle. Node does
 * not apply source maps to `vm.Script`s, so the sandbox installs this as the context's
 * `Error.prepareStackTrace`.
 */
import { SourceMap } from 'node:module';

/** Filenames of the sandbox's own entry scripts start with this; traces stop there. */
export const SANDBOX_INTERNAL_PREFIX = 'bastion-sandbox:';

const INLINE_MAP_MARKER = '\n//# sourceMappingURL=data:application/json';

/** Formats stack traces of errors made in a sandbox running one bundle. */
export class BundleStackTraces {
  private map: SourceMap | null | undefined;

  /**
   * @param code the bundle; its inline source map (if any) is parsed on first use.
   * @param filename the name the bundle's `vm.Script` was compiled with.
   */
  constructor(
    private readonly code: string,
    private readonly filename: string,
  ) {}

  /** An `Error.prepareStackTrace` for the sandbox: maps bundle positions, drops the host's frames. */
  readonly prepareStackTrace = (error: unknown, callSites: NodeJS.CallSite[]): string => {
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = 'Error';
    }
    const frames: string[] = [];
    for (const site of callSites) {
      // Below the sandbox entry is the worker's own call chain, not workflow code.
      const file = site.getFileName();
      if (file === 'node:vm' || file?.startsWith(SANDBOX_INTERNAL_PREFIX)) break;
      frames.push(`\n    at ${this.formatSite(site)}`);
    }
    return header + frames.join('');
  };

  private formatSite(site: NodeJS.CallSite): string {
    let text: string;
    try {
      text = String(site);
    } catch {
      return '<unknown>';
    }
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (site.getFileName() !== this.filename || line === null || column === null) return text;
    const map = this.sourceMap();
    if (!map) return text;
    const entry = map.findEntry(line - 1, column - 1) as Partial<Record<'generatedLine' | 'generatedColumn' | 'originalLine' | 'originalColumn', number>> & {
      originalSource?: string;
    };
    if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return text;
    // webpack maps untransformed code line by line; the offset within the line carries over.
    const offset = entry.generatedLine === line - 1 && entry.generatedColumn !== undefined ? column - 1 - entry.generatedColumn : 0;
    return text.replace(`${this.filename}:${line}:${column}`, `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + offset + 1}`);
  }

  private sourceMap(): SourceMap | null {
    if (this.map !== undefined) return this.map;
    this.map = null;
    const at = this.code.lastIndexOf(INLINE_MAP_MARKER);
    const comma = at < 0 ? -1 : this.code.indexOf(',', at);
    if (comma > 0) {
      try {
        this.map = new SourceMap(JSON.parse(Buffer.from(this.code.slice(comma + 1).trim(), 'base64').toString('utf8')));
      } catch {
        // A bundle with a broken map still runs; its traces show bundle positions.
      }
    }
    return this.map;
  }
}
