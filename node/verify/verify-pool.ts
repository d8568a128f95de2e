/**
 * A worker_threads pool that verifies batches of signatures (a block's transactions, a burst of
 * relayed ones) on several cores with the fast verifier. Small batches are verified inline: posting
 * to a worker costs more than a few verifications. Each large call is split into one chunk per
 * worker (none smaller than MIN_CHUNK_JOBS), packed into a single transferable ArrayBuffer; chunks
 * go to whichever worker is idle, in call order, and calls wait FIFO in a bounded queue. Workers start
 * on first use (an idle node runs none); idle workers are unref()ed so the pool never keeps a process
 * alive.
 * Also defines the wire format shared with verify-worker.ts. Must not import chain, storage or p2p.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { PUBLIC_KEY_LEN, SIGNATURE_LEN } from '../core/keys.js';
import { HASH_LEN } from '../core/hash.js';
import { NodeError } from '../core/errors.js';
import { verifyActive } from './fast-verifier.js';

/** One signature to check: `msg` is the 32-byte signing hash. */
export interface VerifyJob {
  msg: Uint8Array;
  sig: Uint8Array;
  publicKey: Uint8Array;
}

/** Wire format: `count` records of msg(32) | sig(64) | key(33), back to back, in one ArrayBuffer. */
export const JOB_MSG_OFFSET = 0;
export const JOB_SIG_OFFSET = HASH_LEN;
export const JOB_KEY_OFFSET = HASH_LEN + SIGNATURE_LEN;
export const JOB_BYTES = HASH_LEN + SIGNATURE_LEN + PUBLIC_KEY_LEN;

/** Main thread -> worker. `buf` is transferred, not copied. */
export interface VerifyRequest {
  id: number;
  count: number;
  buf: ArrayBuffer;
}

/** Worker -> main thread: `results[i]` is 1 when record i verified, else 0. */
export interface VerifyReply {
  id: number;
  results: ArrayBuffer;
}

export interface VerifyPoolOptions {
  /** Worker threads; default min(2, available cores). */
  threads?: number;
  /** Batches with fewer jobs are verified on the calling thread; default 4. */
  inlineBelow?: number;
  /** Calls allowed to wait for the workers before verifyAll rejects; default 256. */
  maxQueued?: number;
  /** The worker script. For tests that need a misbehaving worker; default ./verify-worker.js. */
  workerUrl?: URL;
}

/**
 * At ~1 ms per OpenSSL check a worker round trip (~0.1 ms) pays off from a handful of signatures, and it
 * frees the event loop for the network meanwhile (measured: sync of 5-tx blocks 153 -> 180 blocks/s).
 */
const DEFAULT_INLINE_BELOW = 4;
/**
 * Fewest signatures per chunk when a call is split over the workers: a chunk costs a message each way
 * (~25 us of main-thread time with its reply), so a call of a few signatures goes to one worker whole
 * (issue #9: admission sends many small batches when transactions arrive one call at a time).
 */
export const MIN_CHUNK_JOBS = 8;
const DEFAULT_MAX_QUEUED = 256;

interface Chunk {
  /** Index in the caller's job array of each packed record. */
  positions: number[];
  buf: ArrayBuffer;
}

interface Call {
  results: boolean[];
  chunks: Chunk[];
  remaining: number;
  settled: boolean;
  resolve: (results: boolean[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** False from the first 'error' or 'exit' on; pump() replaces a dead slot before dispatching. */
  alive: boolean;
  /** The call whose chunk this worker is running, with the request id; null while idle. */
  task: { call: Call; id: number; positions: number[] } | null;
}

export class VerifyPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Call[] = [];
  private nextId = 1;
  private closed = false;
  /** Signatures submitted to verifyAll since start (read by metrics). */
  verified = 0;

  private constructor(
    private readonly threads: number,
    private readonly inlineBelow: number,
    private readonly maxQueued: number,
    private readonly workerUrl: URL,
  ) {}

  /** Worker threads started so far: none until the first call large enough to need them. */
  get started(): number {
    return this.slots.length;
  }

  /** @throws NodeError INVALID_ARGUMENT on a non-positive thread count or a negative limit. */
  static create(opts: VerifyPoolOptions = {}): VerifyPool {
    const threads = opts.threads ?? Math.min(2, availableParallelism());
    const inlineBelow = opts.inlineBelow ?? DEFAULT_INLINE_BELOW;
    const maxQueued = opts.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isInteger(threads) || threads < 1)
      throw new NodeError('INVALID_ARGUMENT', `"threads" expected an integer >= 1, got ${threads}`);
    if (!Number.isInteger(inlineBelow) || inlineBelow < 0)
      throw new NodeError('INVALID_ARGUMENT', `"inlineBelow" expected an integer >= 0, got ${inlineBelow}`);
    if (!Number.isInteger(maxQueued) || maxQueued < 0)
      throw new NodeError('INVALID_ARGUMENT', `"maxQueued" expected an integer >= 0, got ${maxQueued}`);
    return new VerifyPool(threads, inlineBelow, maxQueued, opts.workerUrl ?? new URL('./verify-worker.js', import.meta.url));
  }

  /**
   * Verdicts in job order, identical to fastVerifier's (and so to the reference's). `opts.inlineBelow`
   * overrides the pool's threshold for this call (0: always the workers, as admission batches want).
   * @throws (rejects) NodeError INTERNAL when a worker dies mid-batch (the worker is replaced);
   *   ABORTED when the pool is closed, or when maxQueued calls are already waiting (back-pressure:
   *   the caller should slow down rather than grow an unbounded queue).
   */
  verifyAll(jobs: readonly VerifyJob[], opts: { inlineBelow?: number } = {}): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new NodeError('ABORTED', 'verify pool is closed'));
    this.verified += jobs.length;
    if (jobs.length < (opts.inlineBelow ?? this.inlineBelow)) return Promise.resolve(jobs.map((j) => verifyActive(j.msg, j.sig, j.publicKey)));
    const results = new Array<boolean>(jobs.length).fill(false);
    const packable: number[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      if (j.msg.length === HASH_LEN && j.sig.length === SIGNATURE_LEN && j.publicKey.length === PUBLIC_KEY_LEN) packable.push(i);
      // A wrong-length signature or key is false by the verifier's own rule; a message of another
      // length does not fit the fixed record, so it is verified here rather than given a verdict.
      else results[i] = verifyActive(j.msg, j.sig, j.publicKey);
    }
    if (packable.length === 0) return Promise.resolve(results);
    if (this.queue.length >= this.maxQueued)
      return Promise.reject(new NodeError('ABORTED', `verify queue full (${this.maxQueued} calls waiting)`));
    const chunkCount = Math.min(this.threads, Math.max(1, Math.floor(packable.length / MIN_CHUNK_JOBS)));
    const per = Math.ceil(packable.length / chunkCount);
    const chunks: Chunk[] = [];
    for (let start = 0; start < packable.length; start += per) {
      const positions = packable.slice(start, start + per);
      chunks.push({ positions, buf: pack(jobs, positions) });
    }
    return new Promise<boolean[]>((resolve, reject) => {
      this.queue.push({ results, chunks, remaining: chunks.length, settled: false, resolve, reject });
      this.pump();
    });
  }

  /** Terminates the workers; waiting and running calls reject with ABORTED. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const aborted = new NodeError('ABORTED', 'verify pool closed');
    for (const call of this.queue.splice(0)) settle(call, aborted);
    for (const slot of this.slots) if (slot.task) settle(slot.task.call, aborted);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /**
   * Hands the oldest waiting chunks to idle workers, one chunk per worker, in call order: a worker that
   * finishes its chunk takes the next one at once, so neither waits for the other's half of a call
   * (issue #9: the workers stay busy while the main thread admits what they verified). Workers are
   * started here, lazily, while there is a chunk and none idle. Dead workers are replaced here, on
   * demand, rather than on 'exit': a worker that cannot even start (a missing file, a bad flag) then
   * fails one call per attempt instead of respawning in a loop.
   */
  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      const call = this.queue[0]!;
      if (call.settled || call.chunks.length === 0) {
        this.queue.shift(); // failed meanwhile (a worker died on another chunk): its chunks are dropped
        continue;
      }
      let i = this.slots.findIndex((s) => s.task === null);
      if (i >= 0 && !this.slots[i]!.alive) this.slots[i] = this.spawn();
      else if (i < 0 && this.slots.length < this.threads) {
        // Started lazily, on the first chunk that needs one, so an idle node holds no worker (~10 MB each).
        this.slots.push(this.spawn());
        i = this.slots.length - 1;
      }
      if (i < 0) return; // every worker busy: the next reply pumps again
      const slot = this.slots[i]!;
      const chunk = call.chunks.shift()!;
      if (call.chunks.length === 0) this.queue.shift();
      const id = this.nextId++;
      slot.task = { call, id, positions: chunk.positions };
      slot.worker.ref(); // a pending verification must keep the process alive until it answers
      const req: VerifyRequest = { id, count: chunk.positions.length, buf: chunk.buf };
      slot.worker.postMessage(req, [chunk.buf]); // the buffer now belongs to the worker
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, { execArgv: workerExecArgv() });
    const slot: Slot = { worker, alive: true, task: null };
    worker.unref();
    worker.on('message', (reply: VerifyReply) => this.onReply(slot, reply));
    // 'error' (an uncaught exception in the worker) is always followed by 'exit'; whichever arrives
    // first fails the running call. The slot is replaced by the next pump().
    worker.on('error', (err) => this.onCrash(slot, err));
    worker.on('exit', (code) => {
      this.onCrash(slot, new Error(`verify worker exited with code ${code}`));
      this.pump();
    });
    return slot;
  }

  private onReply(slot: Slot, reply: VerifyReply): void {
    const task = slot.task;
    if (task === null || reply.id !== task.id) {
      this.onCrash(slot, new Error(`verify worker answered request ${reply.id}, expected ${task?.id ?? 'none'}`));
      void slot.worker.terminate();
      return;
    }
    slot.task = null;
    slot.worker.unref();
    const { call, positions } = task;
    const verdicts = new Uint8Array(reply.results);
    if (verdicts.length !== positions.length) {
      settle(call, new NodeError('INTERNAL', `verify worker returned ${verdicts.length} verdicts for ${positions.length} jobs`));
    } else if (!call.settled) {
      for (let k = 0; k < positions.length; k++) call.results[positions[k]!] = verdicts[k] === 1;
      if (--call.remaining === 0) {
        call.settled = true;
        call.resolve(call.results);
      }
    }
    this.pump();
  }

  private onCrash(slot: Slot, cause: unknown): void {
    slot.alive = false;
    slot.worker.unref(); // it is dying or dead; a replacement is ref()ed when it gets work
    const task = slot.task;
    slot.task = null;
    if (task !== null) settle(task.call, new NodeError('INTERNAL', 'verify worker crashed', { cause }));
  }
}

/**
 * Workers start with a clean execArgv: Node refuses to start a worker that inherits per-process flags
 * such as --max-old-space-size (ERR_WORKER_INVALID_EXEC_ARGV) or --input-type, and a worker needs none.
 */
function workerExecArgv(): string[] {
  return [];
}

function settle(call: Call, err: Error): void {
  if (call.settled) return;
  call.settled = true;
  call.reject(err);
}

function pack(jobs: readonly VerifyJob[], positions: readonly number[]): ArrayBuffer {
  const out = new Uint8Array(positions.length * JOB_BYTES);
  positions.forEach((p, k) => {
    const j = jobs[p]!;
    const at = k * JOB_BYTES;
    out.set(j.msg, at + JOB_MSG_OFFSET);
    out.set(j.sig, at + JOB_SIG_OFFSET);
    out.set(j.publicKey, at + JOB_KEY_OFFSET);
  });
  return out.buffer;
}
