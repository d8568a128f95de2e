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
  subsidy: bigint;
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
    minFee: money(o, 'minFee'),
    maxBlockTxs: int(o, 'maxBlockTxs', 1, MAX_BLOCK_TXS_WIRE),
    maxBlockBytes: int(o, 'maxBlockBytes', 1000, 2_000_000), // must fit one 2 MiB block message
    allocations,
    devAccounts:
      dev && typeof dev.seed === 'string' && typeof dev.count === 'number' ? { seed: dev.seed, count: dev.count } : undefined,
  };
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
    .u64(p.minFee)
    .u32(p.maxBlockTxs)
    .u32(p.maxBlockBytes)
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

/** Block subsidy at a height (constant here; a halving schedule would live in this one place). */
export function subsidyAt(p: Pick<ChainParams, 'subsidy'>, _height: number): bigint {
  return p.subsidy;
}
