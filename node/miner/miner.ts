/**
 * The miner: fetches a block template, searches nonces on a worker thread in short slices, and submits
 * a solved block. Between slices the main side rests so the search uses `dutyCycle` of one core, so a
 * testnet of many nodes mining on one machine does not pin every core. A tip change, stop(), a stale
 * template or an exhausted nonce space all end the current search at the next slice boundary.
 * Outer ring: imports core and node:worker_threads; knows the chain only through two callbacks.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Block, encodeHeader } from '../core/block.js';
import { NodeError } from '../core/errors.js';
import { sha256d } from '../core/hash.js';
import { compactToTarget, searchNonce } from '../core/pow.js';
import type { SliceRequest, SliceResult } from './mine-worker.js';

/** The subset of a pino logger the miner uses. */
export interface MinerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface MinerOptions {
  getTemplate: () => Promise<Block>;
  /** Hands a solved block to the chain; resolving to a Verdict with ok: false counts as a rejection. */
  submit: (b: Block) => Promise<unknown>;
  /** Fraction of one core to use, in (0, 1]. Default 0.5. */
  dutyCycle?: number;
  log?: MinerLog;
  /** Refetch after this long on one template, so the block's timestamp stays near the clock. Default 5000. */
  templateMaxAgeMs?: number;
  /** Hashing per slice; also the worst-case latency of stop() and onTipChanged(). Default 20. */
  sliceMs?: number;
}

/** Work done since construction; hashes / busyMs is the hash rate, restMs / busyMs follows the duty cycle. */
export interface MinerStats {
  slices: number;
  hashes: number;
  /** Wall time spent waiting for slices. */
  busyMs: number;
  /** Wall time spent resting between slices. */
  restMs: number;
}

export type MinerEvents = {
  /** A block the miner solved and `submit` accepted. */
  block: [block: Block];
};

const NONCE_SPACE = 1n << 64n;
/** Pause after a failed template fetch or a crashed worker, so a persistent fault does not spin. */
const RETRY_MS = 1000;

export class Miner extends EventEmitter<MinerEvents> {
  private readonly getTemplate: () => Promise<Block>;
  private readonly submit: (b: Block) => Promise<unknown>;
  private readonly dutyCycle: number;
  private readonly log?: MinerLog;
  private readonly templateMaxAgeMs: number;
  private readonly sliceMs: number;
  private running = false;
  /** Bumped by onTipChanged and stop: a search begun under an older generation is abandoned. */
  private generation = 0;
  private loop?: Promise<void>;
  private worker?: Worker;
  private pending?: { id: number; resolve: (r: SliceResult) => void; reject: (e: Error) => void };
  private nextSliceId = 0;
  /** Ends the current rest early. */
  private wake?: () => void;
  private readonly counters: MinerStats = { slices: 0, hashes: 0, busyMs: 0, restMs: 0 };

  /** @throws NodeError INVALID_ARGUMENT on a duty cycle outside (0, 1] or a non-positive duration. */
  constructor(opts: MinerOptions) {
    super();
    const d = opts.dutyCycle ?? 0.5;
    if (!(d > 0 && d <= 1)) throw new NodeError('INVALID_ARGUMENT', `"dutyCycle" expected a number in (0, 1], got ${d}`);
    this.getTemplate = opts.getTemplate;
    this.submit = opts.submit;
    this.dutyCycle = d;
    this.log = opts.log;
    this.templateMaxAgeMs = positive(opts.templateMaxAgeMs ?? 5000, 'templateMaxAgeMs');
    this.sliceMs = positive(opts.sliceMs ?? 20, 'sliceMs');
  }

  get isRunning(): boolean {
    return this.running;
  }

  get stats(): MinerStats {
    return { ...this.counters };
  }

  /** Starts mining; a no-op while running. @throws NodeError INVALID_ARGUMENT while a stop() is still in progress. */
  start(): void {
    if (this.running) return;
    if (this.loop) throw new NodeError('INVALID_ARGUMENT', 'miner: start() before the previous stop() resolved');
    this.running = true;
    this.loop = this.run();
  }

  /** Ends the search, terminates the worker and resolves once it has exited and no submit is in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    this.wake?.();
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
    await this.loop;
    this.loop = undefined;
  }

  /** The tip moved: abandon the current search (within one slice) and fetch a new template. */
  onTipChanged(): void {
    this.generation++;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const gen = this.generation;
      try {
        const template = await this.getTemplate();
        if (this.running && gen === this.generation) await this.search(template, gen);
      } catch (err) {
        if (!this.running) break;
        this.log?.warn({ err }, 'miner: template or search failed');
        await this.rest(RETRY_MS);
      }
    }
  }

  /** Returns when the block is solved and submitted, or the template should be replaced. */
  private async search(template: Block, gen: number): Promise<void> {
    const header = encodeHeader(template.header);
    const target = compactToTarget(template.header.bits);
    const fetchedAt = Date.now();
    let nonce = template.header.nonce;
    let tried = 0n;
    // A template ages out so the next one carries a fresh timestamp (and with it a fresh nonce space).
    while (this.running && tried < NONCE_SPACE && Date.now() - fetchedAt < this.templateMaxAgeMs) {
      const began = performance.now();
      const r = await this.slice(header, target, nonce);
      const busy = performance.now() - began;
      this.counters.slices++;
      this.counters.hashes += r.tried;
      this.counters.busyMs += busy;
      if (!this.running || gen !== this.generation) return;
      if (r.found !== undefined) return this.publish({ ...template, header: { ...template.header, nonce: r.found } });
      nonce = r.next;
      tried += BigInt(r.tried);
      const restBegan = performance.now();
      await this.rest((busy * (1 - this.dutyCycle)) / this.dutyCycle);
      this.counters.restMs += performance.now() - restBegan;
      if (!this.running || gen !== this.generation) return;
    }
  }

  private async publish(block: Block): Promise<void> {
    const res = await this.submit(block);
    if (typeof res === 'object' && res !== null && (res as { ok?: unknown }).ok === false) {
      this.log?.warn({ height: block.header.height, reason: (res as { reason?: unknown }).reason }, 'miner: block rejected');
      return;
    }
    this.log?.info({ height: block.header.height, nonce: block.header.nonce.toString() }, 'miner: block found');
    this.emit('block', block);
  }

  private slice(header: Uint8Array, target: bigint, start: bigint): Promise<SliceResult> {
    const worker = this.ensureWorker();
    const id = this.nextSliceId++;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      worker.postMessage({ id, header, target, start, sliceMs: this.sliceMs } satisfies SliceRequest);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./mine-worker.js', import.meta.url), { execArgv: [] }); // clean flags: see verify-pool.ts
    w.on('message', (r: SliceResult) => {
      const p = this.pending;
      if (p?.id !== r.id) return;
      this.pending = undefined;
      p.resolve(r);
    });
    w.on('error', (err) => this.log?.warn({ err }, 'miner: worker error'));
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new NodeError('ABORTED', `mining worker exited with code ${code}`));
    });
    this.worker = w;
    return w;
  }

  private rest(ms: number): Promise<void> {
    if (!(ms > 0) || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/**
 * Searches up to `maxIters` nonces from the block's own nonce, inline with the pure-JS hash. For tests
 * and benchmarks; the node mines with Miner, off the event loop.
 */
export function solveInline(block: Block, maxIters: number): Block | undefined {
  const h = block.header;
  const nonce = searchNonce(encodeHeader(h), compactToTarget(h.bits), h.nonce, maxIters, sha256d);
  return nonce === undefined ? undefined : { ...block, header: { ...h, nonce } };
}

function positive(v: number, what: string): number {
  if (!(Number.isFinite(v) && v > 0)) throw new NodeError('INVALID_ARGUMENT', `"${what}" expected a positive number, got ${v}`);
  return v;
}
