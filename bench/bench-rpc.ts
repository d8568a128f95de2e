/**
 * What the process benchmarks share: JSON-RPC calls over keep-alive HTTP (one agent per benchmark, so
 * `maxSockets` bounds its concurrent clients), and a bounded wait for a condition.
 */
import http from 'node:http';
import { NodeError } from '../node/core/errors.js';

export interface BenchRpc {
  /** One call; rejects with the node's reason on a JSON-RPC error. */
  call<T>(url: string, method: string, params?: unknown[]): Promise<T>;
  /** One batch of calls of `method`, one per params list; rejects if any call failed. */
  batch(url: string, method: string, paramsList: unknown[][]): Promise<void>;
  destroy(): void;
}

export function benchRpc(maxSockets: number, timeoutMs = 60_000): BenchRpc {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const post = (url: string, body: string, what: string) =>
    new Promise<unknown>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
      });
      req.on('error', reject);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${what} timed out`)));
      req.end(body);
    });
  type Reply = { result?: unknown; error?: { message: string; data?: { reason?: string } } };
  const fail = (what: string, e: NonNullable<Reply['error']>) => new NodeError('INTERNAL', `${what}: ${e.data?.reason ?? e.message}`);
  return {
    async call<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
      const r = (await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), method)) as Reply;
      if (r.error) throw fail(method, r.error);
      return r.result as T;
    },
    async batch(url: string, method: string, paramsList: unknown[][]): Promise<void> {
      const rs = (await post(url, JSON.stringify(paramsList.map((params, id) => ({ jsonrpc: '2.0', id, method, params }))), `${method} batch`)) as Reply[];
      if (!Array.isArray(rs)) throw new NodeError('INTERNAL', `${method} batch: not a batch reply`);
      const bad = rs.find((r) => r.error);
      if (bad?.error) throw fail(`${method} batch`, bad.error);
    },
    destroy: () => agent.destroy(),
  };
}

/** Polls `pred` every `intervalMs` until it holds; returns the ms waited. @throws NodeError TIMEOUT. */
export async function waitUntil(what: string, timeoutMs: number, pred: () => Promise<boolean>, intervalMs = 50): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await pred()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new NodeError('TIMEOUT', `bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Shifts a benchmark's fixed port range by MINICHAIN_BENCH_PORT_SHIFT (default 0), so two checkouts
 * can run the process benchmarks at the same time without their ports colliding.
 */
export function benchPort(base: number): number {
  const shift = Number(process.env.MINICHAIN_BENCH_PORT_SHIFT ?? 0);
  if (!Number.isInteger(shift) || shift < 0 || shift > 20_000) throw new Error(`MINICHAIN_BENCH_PORT_SHIFT must be an integer 0-20000, got ${process.env.MINICHAIN_BENCH_PORT_SHIFT}`);
  return base + shift;
}
