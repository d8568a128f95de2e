/**
 * Test fixtures: an easy-target chain definition, dev keys, tx and block builders, and a grinder for
 * the (trivial) proof of work. Used by unit and integration tests; never by the node.
 */
import { parseGenesis, ChainParams } from '../../node/core/params.js';
import { devAccounts, DevAccount } from '../../node/core/dev-accounts.js';
import { Block, encodeHeader } from '../../node/core/block.js';
import { sha256d } from '../../node/core/hash.js';
import { compactToTarget, searchNonce } from '../../node/core/pow.js';
import { Tx, signTx } from '../../node/core/tx.js';
import { assembleBlock } from '../../node/miner/template.js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Regtest-like target: about every second hash meets it. */
export const EASY_BITS = 0x207fffff;
export const TEST_CHAIN_ID = 4242;
export const DEV = devAccounts(8);
export const COIN = 100_000_000n;

export function testGenesisJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'minichain-test',
    chainId: TEST_CHAIN_ID,
    timestamp: 1_700_000_000_000,
    bits: '0x' + EASY_BITS.toString(16),
    targetBlockTimeMs: 1000,
    retargetInterval: 0,
    subsidy: (50n * COIN).toString(),
    minFee: '1000',
    maxBlockTxs: 5000,
    maxBlockBytes: 1_000_000,
    allocations: DEV.slice(0, 5).map((a) => ({ address: a.address, balance: (1000n * COIN).toString() })),
    ...overrides,
  };
}

export function testParams(overrides: Record<string, unknown> = {}): ChainParams {
  return parseGenesis(testGenesisJson(overrides));
}

export function makeTx(
  params: Pick<ChainParams, 'chainId'>,
  from: DevAccount,
  to: Uint8Array,
  amount: bigint,
  nonce: bigint,
  fee = 1000n,
): Tx {
  return signTx({ chainId: params.chainId, from: from.publicKey, to, amount, fee, nonce }, from.privateKey);
}

/** Grinds the nonce; with EASY_BITS this takes a couple of hashes. */
export function solve(block: Block, maxIters = 1_000_000): Block {
  const nonce = searchNonce(encodeHeader(block.header), compactToTarget(block.header.bits), 0n, maxIters, sha256d);
  if (nonce === undefined) throw new Error('no nonce found');
  return { ...block, header: { ...block.header, nonce } };
}

export interface ParentRef {
  hash: Uint8Array;
  height: number;
  timestamp: number;
}

/** A solved block on `parent` paying `miner`, one second after its parent unless told otherwise. */
export function makeBlock(
  params: ChainParams,
  parent: ParentRef,
  txs: Tx[] = [],
  opts: { miner?: Uint8Array; timestamp?: number; bits?: number } = {},
): Block {
  return solve(
    assembleBlock(params, {
      parentHash: parent.hash,
      parentHeight: parent.height,
      bits: opts.bits ?? params.genesisBits,
      timestamp: opts.timestamp ?? parent.timestamp + 1000,
      miner: opts.miner ?? DEV[7]!.addressHash,
      txs,
    }),
  );
}

/**
 * The repository root: the nearest directory above `fromUrl` (a module's import.meta.url) that holds
 * package.json. Works from both the .ts sources and the compiled dist/ copies.
 */
export function repoRoot(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fromUrl}`);
    dir = up;
  }
}
