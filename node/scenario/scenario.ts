/**
 * Scenario files: a timeline of steps as JSON data, validated with one clear error per mistake.
 * Built-in scenarios live in scenarios/<name>.json at the package root. Durations in steps are scaled
 * by --scale (long runs: --scale 5); invariant bounds (convergeWithinMs, maxRssMb) are not.
 *
 * Node references: a 1-based index, "last" (the highest-numbered node at the time), "random"
 * (a live node, from the seeded PRNG), or "killed" (the node most recently killed or stopped).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export type NodeRef = number | 'last' | 'random' | 'killed';

export type Step =
  /** Start the scenario's nodes (the first `seeds` are everyone's seeds). */
  | { do: 'start' }
  /** Mine one block on a random live node of each partition group every intervalMs (0 stops). */
  | { do: 'mine'; intervalMs: number }
  /** Steady load: txPerSec transfers between dev accounts, each through a random live node (0 stops). */
  | { do: 'load'; txPerSec: number }
  | { do: 'wait'; ms: number }
  /** Split the live nodes into groups of these relative sizes (e.g. [3, 2]), kept apart by setPeerFilter. */
  | { do: 'partition'; split: number[] }
  | { do: 'heal' }
  /** kill -9 */
  | { do: 'kill'; node: NodeRef }
  | { do: 'restart'; node: NodeRef }
  /** Kill a random non-seed node and restart it, every everyMs for forMs. */
  | { do: 'churn'; everyMs: number; forMs: number; downMs?: number }
  /** Move a node's clock by offsetMs from real time (0 = real time again). */
  | { do: 'skew'; node: NodeRef; offsetMs: number }
  /** Per-message delay ± jitter and connection drops on every node's links (all zero = off). */
  | { do: 'slow-links'; delayMs: number; jitterMs: number; dropPerMinute: number }
  /** kill -9 every seed. */
  | { do: 'stop-seeds' }
  /** Start one more node whose only seed is a live non-seed node. */
  | { do: 'add-node' }
  /** All live nodes reach one tip within convergeWithinMs (mining paused meanwhile). */
  | { do: 'converge' }
  /** Blocks mined now on `node` must stay off every other node's main chain (a clock too far ahead). */
  | { do: 'expect-refused'; node: NodeRef; blocks?: number }
  /** A block mined now on `node` must reach every other node's main chain. */
  | { do: 'expect-accepted'; node: NodeRef }
  /**
   * `node`'s clock is so far behind that the network's blocks are beyond its 2 h future limit: it must
   * hold them back (premature, time-too-new) without marking them invalid, banning anyone or being banned.
   */
  | { do: 'expect-held'; node: NodeRef }
  /** Corrupt a node's ledger (stopped meanwhile): add `amount` to dev account `account`, optionally set its nonce. */
  | { do: 'tamper'; node: NodeRef; account: number; amount: string; nonce?: number }
  /** One transfer from dev account `account` through `node`, at that node's pending nonce. */
  | { do: 'send'; node: NodeRef; account: number }
  /** Mine `blocks` (default 1) on `node` now. */
  | { do: 'generate'; node: NodeRef; blocks?: number };

export interface Scenario {
  name: string;
  description?: string;
  nodes: number;
  /** How many of the first nodes are seeds (default 2). */
  seeds?: number;
  /** Bound for every converge step and the final one (default 30000). */
  convergeWithinMs?: number;
  /** RSS bound per node process (default 512). */
  maxRssMb?: number;
  steps: Step[];
}

export const BUILT_IN = ['partition-heal', 'churn', 'slow-links', 'clock-skew', 'seed-loss'] as const;

const STEP_FIELDS: Record<Step['do'], Record<string, 'number' | 'node' | 'array' | 'string' | 'number?'>> = {
  start: {},
  mine: { intervalMs: 'number' },
  load: { txPerSec: 'number' },
  wait: { ms: 'number' },
  partition: { split: 'array' },
  heal: {},
  kill: { node: 'node' },
  restart: { node: 'node' },
  churn: { everyMs: 'number', forMs: 'number', downMs: 'number?' },
  skew: { node: 'node', offsetMs: 'number' },
  'slow-links': { delayMs: 'number', jitterMs: 'number', dropPerMinute: 'number' },
  'stop-seeds': {},
  'add-node': {},
  converge: {},
  'expect-refused': { node: 'node', blocks: 'number?' },
  'expect-accepted': { node: 'node' },
  'expect-held': { node: 'node' },
  tamper: { node: 'node', account: 'number', amount: 'string', nonce: 'number?' },
  send: { node: 'node', account: 'number' },
  generate: { node: 'node', blocks: 'number?' },
};

/** @throws Error naming the step and field that is wrong */
export function parseScenario(json: unknown, source: string): Scenario {
  const fail = (msg: string): never => {
    throw new Error(`scenario ${source}: ${msg}`);
  };
  if (typeof json !== 'object' || json === null) fail('expected a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') fail('"name" must be a non-empty string');
  if (typeof o.nodes !== 'number' || !Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 50) fail('"nodes" must be an integer in 1..50');
  for (const k of ['seeds', 'convergeWithinMs', 'maxRssMb'] as const)
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !((o[k] as number) >= 0))) fail(`"${k}" must be a non-negative number`);
  if (!Array.isArray(o.steps) || o.steps.length === 0) fail('"steps" must be a non-empty array');
  (o.steps as unknown[]).forEach((s, i) => {
    const where = `step ${i + 1}`;
    if (typeof s !== 'object' || s === null) fail(`${where}: expected an object`);
    const st = s as Record<string, unknown>;
    const fields = STEP_FIELDS[st.do as Step['do']];
    if (!fields) fail(`${where}: unknown "do": ${JSON.stringify(st.do)} (known: ${Object.keys(STEP_FIELDS).join(', ')})`);
    for (const [k, kind] of Object.entries(fields)) {
      const v = st[k];
      if (kind === 'number?' && v === undefined) continue;
      if ((kind === 'number' || kind === 'number?') && (typeof v !== 'number' || !Number.isFinite(v))) fail(`${where} (${String(st.do)}): "${k}" must be a number`);
      if (kind === 'string' && typeof v !== 'string') fail(`${where} (${String(st.do)}): "${k}" must be a string`);
      if (kind === 'array' && (!Array.isArray(v) || v.length < 2 || v.some((x) => typeof x !== 'number' || !(x > 0)))) fail(`${where} (${String(st.do)}): "${k}" must be an array of at least two positive numbers`);
      if (kind === 'node' && !(typeof v === 'number' ? Number.isInteger(v) && v >= 1 : v === 'last' || v === 'random' || v === 'killed'))
        fail(`${where} (${String(st.do)}): "${k}" must be a 1-based node index, "last", "random" or "killed"`);
    }
  });
  return o as unknown as Scenario;
}

/** A built-in name or a path to a JSON file. @throws Error with a one-line reason */
export async function loadScenario(nameOrFile: string): Promise<Scenario> {
  const path = (BUILT_IN as readonly string[]).includes(nameOrFile) ? join(packageRoot(), 'scenarios', `${nameOrFile}.json`) : nameOrFile;
  if (!path.endsWith('.json')) throw new Error(`unknown scenario "${nameOrFile}": expected one of ${BUILT_IN.join(', ')} or a .json file`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read scenario file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`scenario file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(json, path);
}
