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
  /** Accept the test-only RPC controls (setMockTime, setPeerFilter, setLinkFault). Never in production. */
  allowFaults?: boolean;
}

/** `--seeds a,b` | `--seeds none` | default hard-coded list. @throws NodeError CONFIG_ERROR on a bad URL. */
export function parseSeeds(text: string | undefined): string[] {
  if (text === undefined) return [...LOCAL_SEEDS];
  if (text.trim() === 'none' || text.trim() === '') return [];
  return text.split(',').map((s) => {
    const url = s.trim();
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new NodeError('CONFIG_ERROR', `invalid seed "${url}": expected ws://host:port`);
    }
    if (u.protocol !== 'ws:' || !u.port) throw new NodeError('CONFIG_ERROR', `invalid seed "${url}": expected ws://host:port`);
    return `ws://${u.hostname}:${u.port}`;
  });
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
