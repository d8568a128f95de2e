/**
 * Worker thread of the miner: answers each request by hashing one time-boxed slice of nonces with
 * core searchNonce over node:crypto's sha256 (native, several times faster than the pure-JS hash).
 * Outer ring, Node-only. Keeps no state between slices, so the main side abandons a stale search just
 * by not asking for the next slice, and the duty cycle is set there, between slices.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { searchNonce } from '../core/pow.js';

export interface SliceRequest {
  id: number;
  /** Encoded header; its last 8 bytes (the nonce) are overwritten per try. */
  header: Uint8Array;
  target: bigint;
  start: bigint;
  sliceMs: number;
}

export interface SliceResult {
  id: number;
  /** A nonce whose header hash meets the target, if this slice found one. */
  found?: bigint;
  /** Where the next slice continues. */
  next: bigint;
  tried: number;
}

/** Nonces per searchNonce call: the clock is read once per batch, about a millisecond of hashing. */
const BATCH = 512;
const U64_MASK = (1n << 64n) - 1n;

function sha256d(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

function searchSlice(req: SliceRequest): SliceResult {
  const deadline = performance.now() + req.sliceMs;
  let nonce = req.start;
  let tried = 0;
  do {
    const found = searchNonce(req.header, req.target, nonce, BATCH, sha256d);
    if (found !== undefined) return { id: req.id, found, next: (found + 1n) & U64_MASK, tried: tried + BATCH };
    nonce = (nonce + BigInt(BATCH)) & U64_MASK;
    tried += BATCH;
  } while (performance.now() < deadline);
  return { id: req.id, next: nonce, tried };
}

const port = parentPort;
if (!port) throw new Error('mine-worker must run as a worker thread');
port.on('message', (req: SliceRequest) => port.postMessage(searchSlice(req)));
