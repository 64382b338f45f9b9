/**
 * Finds secrets in text a test collected (logs, error messages, `util.inspect` output,
 * stacks), in the forms they leak in: as given, base64 (at any byte alignment, standard
 * and URL-safe), hex (also as `<Buffer 2d 2d …>` prints it), decimal bytes (as a
 * `Uint8Array` prints), and for a PEM private key each body line. Findings name the secret,
 * the form and where, never the secret itself, so a failing test does not leak it either.
 */
import { inspect } from 'node:util';

/** A known secret: text (an API key, a PEM key, a token, a plaintext marker) or bytes (an encryption key). */
export interface KnownSecret {
  name: string;
  value: string | Uint8Array;
}

/** Where a secret was seen: which secret, in which form, in which collected text. */
export interface SecretFinding {
  secret: string;
  form: string;
  where: string;
}

interface Needle {
  secret: string;
  form: string;
  text: string;
  /** Matched against the text with all whitespace removed (hex and decimal renderings wrap and pad). */
  squashed: boolean;
}

/** The shortest piece of a secret that counts as a leak. */
const MIN_NEEDLE = 16;
/** Long secrets are cut into windows of this many characters (PEM bodies into their lines). */
const WINDOW = 32;

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** Generic tells of a PEM private key, whatever its bytes: its armour as text or as hex. */
const TELLS: ReadonlyArray<{ form: string; re: RegExp; squashed: boolean }> = [
  { form: 'PEM private key armour', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, squashed: false },
  // "PRIVATE KEY-----" in hex: a Buffer holding PEM key text, printed by util.inspect.
  { form: 'PEM private key armour (hex)', re: new RegExp(Buffer.from('PRIVATE KEY-----').toString('hex'), 'i'), squashed: true },
];

function windows(text: string, size = WINDOW): string[] {
  if (text.length <= size + size / 2) return [text];
  const out: string[] = [];
  for (let i = 0; i + size <= text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The body lines of a PEM block (the base64 between the armour), each a needle of its own. */
export function pemBodyLines(pem: string): string[] {
  const m = PEM.exec(pem);
  if (!m) return [];
  return m[2]!
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= MIN_NEEDLE && !l.includes(':'));
}

/** Base64 of `bytes` at each of the three byte alignments it can sit at inside a longer buffer, without the edge characters. */
function base64Alignments(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const start = shift === 0 ? 0 : 4;
    const end = b64.length - 4;
    if (end - start >= MIN_NEEDLE) out.push(b64.slice(start, end));
  }
  return out;
}

function needlesOf(secret: KnownSecret): Needle[] {
  const out: Needle[] = [];
  const add = (form: string, text: string, squashed = false): void => {
    if (text.length >= MIN_NEEDLE) out.push({ secret: secret.name, form, text, squashed });
  };
  const bytes = typeof secret.value === 'string' ? Buffer.from(secret.value, 'utf8') : Buffer.from(secret.value);
  if (typeof secret.value === 'string') {
    const body = pemBodyLines(secret.value);
    if (body.length > 0) {
      for (const line of body) add('PEM body line', line);
      // The DER bytes behind the body, as hex or decimal.
      const der = Buffer.from(body.join(''), 'base64');
      for (const w of windows(der.toString('hex'), 2 * WINDOW)) add('DER hex', w, true);
    } else {
      for (const w of windows(secret.value)) add('as given', w);
      if (secret.value.length < MIN_NEEDLE) throw new Error(`secret ${secret.name} is shorter than ${MIN_NEEDLE} characters: too short to scan for reliably`);
    }
  }
  for (const b64 of base64Alignments(bytes)) {
    for (const w of windows(b64)) {
      add('base64', w);
      add('base64url', w.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  for (const w of windows(bytes.toString('hex'), 2 * WINDOW)) add('hex', w, true);
  // `Uint8Array(32) [ 12, 200, … ]` and `[ 12, 200, … ]`: the first dozen bytes, squashed.
  if (typeof secret.value !== 'string') add('decimal bytes', [...bytes.subarray(0, 12)].join(','), true);
  return out;
}

/**
 * Scans collected texts for known secrets.
 *
 * ```ts
 * const scan = new SecretScanner([{ name: 'apiKey', value: apiKey }]);
 * scan.collect('dev server stderr', server.output());
 * scan.collectInspect('connection', connection);
 * scan.assertClean();
 * ```
 */
export class SecretScanner {
  readonly #needles: Needle[];
  readonly #texts: Array<{ where: string; text: string }> = [];

  /**
   * @param secrets what must never show
   * @param publicTexts material that may show and overlaps a secret (a certificate holds
   *   its private key's public modulus): pieces of a secret found in it are not searched for
   */
  constructor(secrets: readonly KnownSecret[], publicTexts: readonly string[] = []) {
    this.#needles = withoutPublic(secrets.flatMap(needlesOf), publicTexts);
  }

  /** How many texts were collected (a scan of nothing proves nothing). */
  get collected(): number {
    return this.#texts.length;
  }

  /** Total characters collected. */
  get collectedChars(): number {
    return this.#texts.reduce((n, t) => n + t.text.length, 0);
  }

  /** Adds one text: a log, an output, a message. */
  collect(where: string, text: string | undefined): void {
    if (text !== undefined) this.#texts.push({ where, text });
  }

  /** Adds an error's message, stack, `cause` chain and its `util.inspect` rendering. */
  collectError(where: string, err: unknown): void {
    let e: unknown = err;
    for (let i = 0; e !== undefined && e !== null && i < 8; i++) {
      const error = e as { message?: unknown; stack?: unknown; cause?: unknown };
      this.collect(`${where} message`, String(error.message ?? e));
      this.collect(`${where} stack`, typeof error.stack === 'string' ? error.stack : undefined);
      e = error.cause;
    }
    this.collectInspect(where, err);
  }

  /** Adds the renderings of a value: `util.inspect` at depth 0, 2 and unlimited with `showHidden`, `String()` and `JSON.stringify`. */
  collectInspect(where: string, value: unknown): void {
    for (const text of renderings(value)) this.collect(`${where} ${text.how}`, text.text);
  }

  /** Every place a secret shows in what was collected. */
  findings(): SecretFinding[] {
    const found: SecretFinding[] = [];
    for (const { where, text } of this.#texts) found.push(...scanText(this.#needles, where, text));
    return found;
  }

  /** Throws, naming secrets, forms and places (never the secret), when any secret shows. */
  assertClean(): void {
    const found = this.findings();
    if (found.length === 0) return;
    const lines = found.slice(0, 30).map((f) => `  ${f.secret} (${f.form}) in ${f.where}`);
    throw new Error(`secrets found in ${found.length} place(s):\n${lines.join('\n')}`);
  }
}

/** The findings in one text. */
function scanText(needles: readonly Needle[], where: string, text: string): SecretFinding[] {
  const found = new Map<string, SecretFinding>();
  const squashed = text.replace(/\s+/g, '');
  const lower = squashed.toLowerCase();
  for (const n of needles) {
    const hit = n.squashed ? lower.includes(n.text.toLowerCase()) : text.includes(n.text) || squashed.includes(n.text);
    if (hit) found.set(`${n.secret}\0${n.form}`, { secret: n.secret, form: n.form, where });
  }
  for (const t of TELLS) {
    if (t.re.test(t.squashed ? squashed : text)) found.set(`tell\0${t.form}`, { secret: 'private key', form: t.form, where });
  }
  return [...found.values()];
}

/** Needles that do not occur in public material (certificates, in any of their forms). */
function withoutPublic(needles: Needle[], publicTexts: readonly string[]): Needle[] {
  if (publicTexts.length === 0) return needles;
  const hay = publicTexts.flatMap((t) => {
    const ders = [...t.matchAll(new RegExp(PEM.source, 'g'))].map((m) => Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
    return [t.replace(/\s+/g, ''), Buffer.from(t).toString('hex'), ...ders.map((d) => d.toString('hex')), ...ders.map((d) => d.toString('base64'))];
  });
  return needles.filter((n) => !hay.some((h) => (n.squashed ? h.toLowerCase().includes(n.text.toLowerCase()) : h.includes(n.text))));
}

/** What {@link SecretScanner} finds in one text (for a one-off check). */
export function findSecrets(text: string, secrets: readonly KnownSecret[], publicTexts: readonly string[] = []): SecretFinding[] {
  return scanText(withoutPublic(secrets.flatMap(needlesOf), publicTexts), 'text', text);
}

/** The ways a program prints a value: util.inspect at several depths (showHidden too), String(), JSON.stringify. */
export function renderings(value: unknown): Array<{ how: string; text: string }> {
  const out: Array<{ how: string; text: string }> = [];
  const attempt = (how: string, f: () => string | undefined): void => {
    try {
      const text = f();
      if (text !== undefined) out.push({ how, text });
    } catch (err) {
      // A circular structure (JSON) or a throwing getter: the message is collected instead.
      out.push({ how: `${how} (threw)`, text: err instanceof Error ? err.message : String(err) });
    }
  };
  attempt('inspect', () => inspect(value));
  attempt('inspect depth 2', () => inspect(value, { depth: 2 }));
  attempt('inspect showHidden depth 8', () => inspect(value, { depth: 8, showHidden: true }));
  attempt('inspect showHidden depth Infinity', () =>
    inspect(value, { depth: Infinity, showHidden: true, maxArrayLength: Infinity, maxStringLength: Infinity }),
  );
  attempt('String', () => String(value));
  attempt('JSON.stringify', () => JSON.stringify(value));
  return out;
}
