/**
 * Node configuration: defaults, validation and the hard-coded seeds. Pure apart from reading
 * genesis.json, which `loadGenesis` does with one clear error per failure.
 */
import { readFile } from 'node:fs/promises';
import { NodeError } from './core/errors.js';
import { ChainParams, parseGenesis } from './core/params.js';

/** The local network's hard-coded seeds: the first three testnet nodes. */
export const LOCAL_SEEDS = ['ws://127.0.0.1:7001', 'ws://127.0.0.1:7002', 'ws://127.0.0.1:7003'];

export const DEFAULT_P2P_PORT = 7001;
/** RPC listens on the P2P port + 1000 unless told otherwise. */
export const RPC_PORT_OFFSET = 1000;

export interface NodeConfig {
  datadir: string;
  host: string;
  port: number;
  rpcHost: string;
  rpcPort: number;
  /** Browser origins allowed to call the RPC (--rpc-allow-origin); none by default. */
  rpcAllowOrigins?: string[];
  seeds: string[];
  mine: boolean;
  minerAddress?: string;
  /** Fraction of one core the miner may use. */
  mineDuty: number;
  genesisPath: string;
  logLevel: string;
  maxOutbound: number;
  maxInbound: number;
  refreshIntervalMs: number;
  /** --external-address: the host:port we announce to peers (default: learnt from what peers see). */
  externalAddress?: { host: string; port: number };
  /** Accept the test-only RPC controls (setMockTime, setPeerFilter, setLinkFault). Never in production. */
  allowFaults?: boolean;
  /** --no-compact: no compact block relay (issue #9); default on. */
  compact?: boolean;
}

/**
 * `--seeds a,b` | `--seeds none` | default: the `seeds` of genesis.json when it lists any, else the
 * hard-coded list (the bootstrap of last resort). Each seed is `host:port`, `[ipv6]:port` or
 * `ws://host:port`; the host may be an IP or a DNS name.
 * @throws NodeError CONFIG_ERROR naming the bad seed.
 */
export function parseSeeds(text: string | undefined, genesisSeeds: readonly string[] = []): string[] {
  if (text === undefined) return genesisSeeds.length > 0 ? [...genesisSeeds] : [...LOCAL_SEEDS];
  if (text.trim() === 'none' || text.trim() === '') return [];
  return text.split(',').map((s) => seedUrl(s.trim()));
}

/** One seed in any accepted spelling -> `ws://host:port`. @throws NodeError CONFIG_ERROR. */
export function seedUrl(seed: string): string {
  const bad = () => new NodeError('CONFIG_ERROR', `invalid seed "${seed}": expected host:port or ws://host:port`);
  let u: URL;
  try {
    u = new URL(seed.includes('://') ? seed : `ws://${seed}`);
  } catch {
    throw bad();
  }
  if (u.protocol !== 'ws:' || !u.port || u.pathname.length > 1 || u.username || u.search) throw bad();
  return `ws://${u.hostname}:${u.port}`;
}

/** `host:port` / `[ipv6]:port` for --external-address. @throws NodeError CONFIG_ERROR. */
export function parseHostPort(text: string, what: string): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(`ws://${text}`);
  } catch {
    throw new NodeError('CONFIG_ERROR', `invalid ${what} "${text}": expected host:port`);
  }
  if (!u.port || u.pathname.length > 1) throw new NodeError('CONFIG_ERROR', `invalid ${what} "${text}": expected host:port`);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port) };
}

/**
 * The `seeds` of a genesis file (network configuration, not part of the chain definition: they never
 * change the genesis hash). Absent: []. @throws NodeError CONFIG_ERROR for a malformed list.
 */
export async function loadGenesisSeeds(path: string): Promise<string[]> {
  let json: { seeds?: unknown };
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as { seeds?: unknown };
  } catch (e) {
    throw new NodeError('CONFIG_ERROR', `cannot read seeds from ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (json.seeds === undefined) return [];
  if (!Array.isArray(json.seeds) || json.seeds.length > 64 || !json.seeds.every((x) => typeof x === 'string'))
    throw new NodeError('CONFIG_ERROR', `genesis file ${path}: "seeds" must be a list of at most 64 "host:port" strings`);
  return json.seeds.map((x) => seedUrl(x));
}

export function parsePort(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 0 || n > 65535) throw new NodeError('CONFIG_ERROR', `invalid ${what} "${text}": expected 0..65535`);
  return n;
}

/** @throws NodeError CONFIG_ERROR naming the file and what is wrong with it. */
export async function loadGenesis(path: string): Promise<ChainParams> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new NodeError('CONFIG_ERROR', `cannot read genesis file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NodeError('CONFIG_ERROR', `genesis file ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  try {
    return parseGenesis(json);
  } catch (e) {
    throw new NodeError('CONFIG_ERROR', `genesis file ${path}: ${(e as Error).message}`, { cause: e });
  }
}
