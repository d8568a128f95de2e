/**
 * `generate [n, address?]`: mine n blocks now, on the calling thread, like bitcoind's regtest
 * generatetoaddress (for scripts and tests). The nonce search runs in batches with a yield to the event
 * loop between them, so the node keeps answering peers and RPC meanwhile. Outer ring (node:crypto).
 */
import { createHash } from 'node:crypto';
import { Block, blockHashHex, encodeHeader } from '../core/block.js';
import { NodeError } from '../core/errors.js';
import { compactToTarget, searchNonce } from '../core/pow.js';

/** Most blocks one call may ask for. */
export const MAX_GENERATE = 1000;
const BATCH = 4096;
/** Templates tried per block before giving up (each goes stale on a tip change or a rejection). */
const MAX_ATTEMPTS = 20;

function sha256d(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

export interface GenerateDeps {
  getTemplate: () => Promise<Block>;
  /** Resolves ok when the chain accepted the block as its new tip. */
  submit: (b: Block) => Promise<{ ok: boolean; reason?: string }>;
  /** The current tip hash, to notice a block from elsewhere while we search. */
  tipHex: () => string;
}

/**
 * @returns the hashes of the blocks mined, in order
 * @throws NodeError INVALID_ARGUMENT for n out of range; ABORTED when the chain keeps rejecting templates
 */
export async function generateBlocks(n: number, deps: GenerateDeps): Promise<string[]> {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_GENERATE) throw new NodeError('INVALID_ARGUMENT', `"n" expected 1..${MAX_GENERATE}, got ${n}`);
  const out: string[] = [];
  for (let attempts = 0; out.length < n; ) {
    const tipBefore = deps.tipHex();
    const block = await deps.getTemplate();
    const header = encodeHeader(block.header);
    const target = compactToTarget(block.header.bits);
    let nonce = 0n;
    let found: bigint | undefined;
    while (found === undefined && deps.tipHex() === tipBefore) {
      found = searchNonce(header, target, nonce, BATCH, sha256d);
      nonce += BigInt(BATCH);
      if (found === undefined) await new Promise((r) => setImmediate(r));
    }
    if (found === undefined) continue; // the tip moved: build on the new one
    const solved: Block = { ...block, header: { ...block.header, nonce: found } };
    const v = await deps.submit(solved);
    if (v.ok) {
      out.push(blockHashHex(solved.header));
      attempts = 0;
    } else if (++attempts >= MAX_ATTEMPTS) throw new NodeError('ABORTED', `generate: the chain rejected ${MAX_ATTEMPTS} blocks in a row (last: ${v.reason ?? 'unknown'})`);
  }
  return out;
}
