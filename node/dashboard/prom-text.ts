/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE` and
 * sample lines `name{label="value",...} value [timestamp]`. Used by the dashboard to read the nodes'
 * /metrics, and by the tests to prove /metrics is valid. Throws on the first malformed line, naming it.
 * Pure: no I/O.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Metric family name -> declared type (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

/** @throws Error `metrics line N: ...` on the first line that is not valid exposition format. */
export function parseExposition(text: string): Exposition {
  const out: Exposition = { types: new Map(), help: new Map(), samples: [] };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`metrics line ${i + 1}: ${why}: ${JSON.stringify(line.slice(0, 120))}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) fail('bad metric name');
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) fail('unknown type');
        if (out.types.has(name)) fail('second TYPE line');
        out.types.set(name, rest);
      } else out.help.set(name, rest);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) return fail('not a sample line');
    const labels = m[3] === undefined ? {} : parseLabels(m[3], fail);
    const value = parseValue(m[4]!);
    if (value === undefined) fail('bad value');
    const name = m[1]!;
    const family = familyOf(name, out.types);
    if (!family) fail(`sample of "${name}" before its TYPE line`);
    out.samples.push({ name, labels, value: value! });
  });
  return out;
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const s of SUFFIXES) if (name.endsWith(s) && types.has(name.slice(0, -s.length))) return name.slice(0, -s.length);
  // A counter family may be declared with its _total name (OpenMetrics style) or without it.
  return undefined;
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) fail('label without "="');
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) fail(`bad label name "${name}"`);
    if (text[eq + 1] !== '"') fail('label value not quoted');
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const n = text[++j];
        if (n === 'n') value += '\n';
        else if (n === '\\' || n === '"') value += n;
        else fail('bad escape in label value');
      } else value += text[j];
    }
    if (j >= text.length) fail('unterminated label value');
    if (name in labels) fail(`label "${name}" repeated`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) fail('expected "," between labels');
  }
  return labels;
}

/** Go's strconv.ParseFloat, as Prometheus reads values: NaN and Inf in any letter case (prom-client writes "Nan"). */
function parseValue(v: string): number | undefined {
  if (/^[+]?inf$/i.test(v)) return Infinity;
  if (/^-inf$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return undefined;
  return Number(v);
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sumOf(e: Exposition, name: string, match: Record<string, string> = {}): number {
  let s = 0;
  for (const x of e.samples) if (x.name === name && Object.entries(match).every(([k, v]) => x.labels[k] === v)) s += x.value;
  return s;
}
