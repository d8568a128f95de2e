/**
 * Consensus parameters, read from genesis.json, and the genesis block they define. The genesis
 * block's merkle root is sha256d of the canonical encoding of every parameter and allocation,
 * so the genesis hash identifies the whole chain definition. Pure: the caller reads the file.
 */
import { Writer } from './bytes.js';
import { sha256d } from './hash.js';
import { decodeAddress } from './address.js';
import { MAX_MONEY, parseBaseUnits } from './amount.js';
import { BLOCK_VERSION, Block, MAX_BLOCK_TXS_WIRE, blockHash } from './block.js';
import { NodeError } from './errors.js';
import { compactToTarget } from './pow.js';

/** Blocks must be newer than the median of this many ancestors (Bitcoin's BIP-113 window). */
export const MEDIAN_TIME_SPAN = 11;
/** Blocks more than this far in the future are held back (premature, never marked invalid). */
export const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;
/**
 * Time-warp guard in the spirit of BIP-94, scaled to block time: the first block of a retarget window
 * may not be older than its parent by more than this many block intervals. With the overlapping
 * retarget window (pow.ts) the last timestamp of one window is the first of the next, so a warp
 * gains nothing; this rule refuses the attempt outright ('time-timewarp-attack').
 */
export const MAX_TIMEWARP_BLOCKS = 10;
/** Halving interval used when genesis.json does not name one. */
export const DEFAULT_HALVING_INTERVAL = 100_000;
/** After this many halvings the subsidy is zero (a shift by 64 or more would be 0 anyway). */
export const MAX_HALVINGS = 64;

export interface Allocation {
  address: Uint8Array;
  balance: bigint;
}

export interface ChainParams {
  name: string;
  chainId: number;
  genesisTimestamp: number;
  genesisBits: number;
  targetBlockTimeMs: number;
  retargetInterval: number;
  /** Subsidy of the first `halvingInterval` blocks; it halves (integer shift) every interval after. */
  subsidy: bigint;
  halvingInterval: number;
  /** Anti-DoS floor: block bodies are downloaded only for header chains with at least this much work. */
  minimumChainWork: bigint;
  /** Policy, not consensus: the mempool's minimum fee per transaction. */
  minFee: bigint;
  maxBlockTxs: number;
  maxBlockBytes: number;
  allocations: Allocation[];
  /** Derivation of the public dev accounts, for tools that print them. */
  devAccounts?: { seed: string; count: number };
  genesis: Block;
  genesisHash: Uint8Array;
}

function cfg(msg: string): NodeError {
  return new NodeError('CONFIG_ERROR', `genesis: ${msg}`);
}

function int(o: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw cfg(`"${key}" must be an integer in [${min}, ${max}]`);
  return v;
}

function money(o: Record<string, unknown>, key: string): bigint {
  try {
    return parseBaseUnits(o[key] as string, key);
  } catch (e) {
    throw cfg((e as Error).message);
  }
}

/**
 * Validates a parsed genesis.json and builds the parameters and genesis block.
 * @throws NodeError CONFIG_ERROR naming the offending field.
 */
export function parseGenesis(json: unknown): ChainParams {
  if (typeof json !== 'object' || json === null) throw cfg('not a JSON object');
  const o = json as Record<string, unknown>;
  const name = o.name;
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) throw cfg('"name" must be a non-empty string');
  const bitsText = o.bits;
  if (typeof bitsText !== 'string' || !/^0x[0-9a-fA-F]{8}$/.test(bitsText)) throw cfg('"bits" must be a hex string like "0x1f00ffff"');
  const genesisBits = parseInt(bitsText.slice(2), 16) >>> 0;
  if (compactToTarget(genesisBits) <= 0n) throw cfg('"bits" encodes no valid target');
  if (!Array.isArray(o.allocations)) throw cfg('"allocations" must be an array');
  let total = 0n;
  const allocations: Allocation[] = o.allocations.map((a: unknown, i: number) => {
    const e = a as Record<string, unknown>;
    let address: Uint8Array;
    try {
      address = decodeAddress(e?.address as string);
    } catch (err) {
      throw cfg(`allocations[${i}]: ${(err as Error).message}`);
    }
    const balance = money(e, 'balance');
    total += balance;
    return { address, balance };
  });
  if (total > MAX_MONEY) throw cfg('allocations exceed the maximum supply');
  const dev = o.devAccounts as Record<string, unknown> | undefined;
  const p = {
    name,
    chainId: int(o, 'chainId', 0, 0xffffffff),
    genesisTimestamp: int(o, 'timestamp', 0, Number.MAX_SAFE_INTEGER),
    genesisBits,
    targetBlockTimeMs: int(o, 'targetBlockTimeMs', 1, 3_600_000),
    retargetInterval: int(o, 'retargetInterval', 0, 100_000),
    subsidy: money(o, 'subsidy'),
    halvingInterval: o.halvingInterval === undefined ? DEFAULT_HALVING_INTERVAL : int(o, 'halvingInterval', 1, 0xffffffff),
    minimumChainWork: chainWork(o.minimumChainWork),
    minFee: money(o, 'minFee'),
    maxBlockTxs: int(o, 'maxBlockTxs', 1, MAX_BLOCK_TXS_WIRE),
    maxBlockBytes: int(o, 'maxBlockBytes', 1000, 2_000_000), // must fit one 2 MiB block message
    allocations,
    devAccounts:
      dev && typeof dev.seed === 'string' && typeof dev.count === 'number' ? { seed: dev.seed, count: dev.count } : undefined,
  };
  // The supply is bounded: allocations plus every subsidy ever paid stay within MAX_MONEY, so no
  // balance can reach the cap and a miner's payout can never be refused for overflow.
  if (total + totalSubsidy(p) > MAX_MONEY) throw cfg('allocations plus the subsidy schedule exceed the maximum supply; lower "subsidy" or "halvingInterval"');
  const genesis = makeGenesisBlock(p);
  return { ...p, genesis, genesisHash: blockHash(genesis.header) };
}

/** The canonical encoding of every consensus parameter; its sha256d is the genesis merkle root. */
export function encodeChainDefinition(p: Omit<ChainParams, 'genesis' | 'genesisHash' | 'devAccounts'>): Uint8Array {
  const w = new Writer(256 + p.allocations.length * 28)
    .str(p.name)
    .u32(p.chainId)
    .u64(BigInt(p.genesisTimestamp))
    .u32(p.genesisBits)
    .u32(p.targetBlockTimeMs)
    .u32(p.retargetInterval)
    .u64(p.subsidy)
    .u32(p.halvingInterval)
    .u64(p.minFee)
    .u32(p.maxBlockTxs)
    .u32(p.maxBlockBytes)
    .fixed(u256(p.minimumChainWork), 32)
    .varint(p.allocations.length);
  for (const a of p.allocations) w.fixed(a.address, 20).u64(a.balance);
  return w.finish();
}

function makeGenesisBlock(p: Omit<ChainParams, 'genesis' | 'genesisHash'>): Block {
  return {
    header: {
      version: BLOCK_VERSION,
      height: 0,
      prevHash: new Uint8Array(32),
      merkleRoot: sha256d(encodeChainDefinition(p)),
      timestamp: p.genesisTimestamp,
      bits: p.genesisBits,
      nonce: 0n,
    },
    miner: new Uint8Array(20),
    reward: 0n,
    txs: [],
  };
}

function chainWork(v: unknown): bigint {
  if (v === undefined) return 0n;
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw cfg('"minimumChainWork" must be a hex string like "0x0" (at most 256 bits)');
  return BigInt(v);
}

function u256(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31, x = v; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

/**
 * Block subsidy at a height: `subsidy >> floor(height / halvingInterval)`, zero from the 64th halving
 * on (and for the genesis block, which pays nothing).
 */
export function subsidyAt(p: Pick<ChainParams, 'subsidy' | 'halvingInterval'>, height: number): bigint {
  if (height <= 0) return 0n;
  const halvings = Math.floor(height / p.halvingInterval);
  return halvings >= MAX_HALVINGS ? 0n : p.subsidy >> BigInt(halvings);
}

/** Total subsidy paid by blocks 1..height (inclusive): the schedule's supply at that height. */
export function subsidyThrough(p: Pick<ChainParams, 'subsidy' | 'halvingInterval'>, height: number): bigint {
  let total = 0n;
  for (let era = 0; era < MAX_HALVINGS; era++) {
    const from = Math.max(1, era * p.halvingInterval);
    const to = Math.min(height, (era + 1) * p.halvingInterval - 1);
    if (to < from) break;
    total += BigInt(to - from + 1) * (p.subsidy >> BigInt(era));
  }
  return total;
}

/** Every subsidy the schedule will ever pay. */
export function totalSubsidy(p: Pick<ChainParams, 'subsidy' | 'halvingInterval'>): bigint {
  return subsidyThrough(p, MAX_HALVINGS * p.halvingInterval);
}
