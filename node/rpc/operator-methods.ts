/**
 * Operator RPCs (what bitcoin-cli users expect): addPeer, disconnectPeer, setNetworkActive, setBan,
 * listBanned, clearBanned, generate; getArrivals and getLedgerSummary for scenario runners; and the
 * test-only controls setMockTime, setPeerFilter, setLinkFault, which a node refuses (error -32003,
 * reason `faults-not-allowed`) unless it was started with --allow-faults.
 * Everything arrives through OperatorOps / FaultOps, so this module knows nothing of sockets or processes.
 */
import { decodeAddress } from '../core/address.js';
import { isNodeError } from '../core/errors.js';
import { RpcError, invalidParams, notFound } from './errors.js';
import { RpcHandler } from './server.js';

/** A control refused because the node runs without --allow-faults. */
export const RPC_FORBIDDEN = -32003;
/** Ban length when setBan gets no duration: Bitcoin Core's default, 24 h. */
const DEFAULT_BAN_SECONDS = 86_400;
const MAX_BAN_SECONDS = 10 * 365 * 86_400;

export interface OperatorOps {
  addPeer(url: string): Promise<unknown>;
  /** @returns how many connections were closed */
  disconnectPeer(nodeId: string): number;
  setNetworkActive(on: boolean): void;
  networkActive(): boolean;
  /** `key` is a nodeId or host:port; seconds > 0. */
  ban(key: string, seconds: number): void;
  unban(key: string): boolean;
  listBanned(): { key: string; until: number; reason: string }[];
  generate(n: number, minerAddress?: Uint8Array): Promise<string[]>;
  arrivals(): unknown;
  ledgerSummary(): Promise<unknown>;
}

export interface FaultOps {
  setMockTime(ms: number): void;
  setPeerFilter(deny: string[]): void;
  setLinkFault(spec: { peer?: string; delayMs: number; jitterMs: number; dropPerMinute: number }): void;
}

const NODE_ID = /^[0-9a-f]{66}$/;

function nodeIdParam(v: unknown, name = 'nodeId'): string {
  if (typeof v !== 'string' || !NODE_ID.test(v)) throw invalidParams('bad-node-id', `"${name}" must be a 33-byte hex node id`);
  return v;
}

/** A nodeId, or a peer address as host:port or ws://host:port. */
function banKeyParam(v: unknown): string {
  if (typeof v === 'string' && NODE_ID.test(v)) return v;
  if (typeof v === 'string') {
    const m = /^(?:ws:\/\/)?([^/\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(v);
    if (m && Number(m[2]) <= 65535) return `${m[1]}:${Number(m[2])}`;
  }
  throw invalidParams('bad-ban-key', '"nodeIdOrAddress" must be a node id or host:port');
}

function intParam(v: unknown, name: string, min: number, max: number, reason = 'bad-param'): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw invalidParams(reason, `"${name}" must be an integer in ${min}..${max}`);
  return v;
}

/** NodeError INVALID_ARGUMENT -> -32602, ABORTED/TIMEOUT -> -32000 with the message; others propagate. */
async function mapped<T>(f: () => T | Promise<T>, reason: string): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (isNodeError(e) && e.code === 'INVALID_ARGUMENT') throw invalidParams(reason, e.message);
    if (isNodeError(e) && (e.code === 'ABORTED' || e.code === 'TIMEOUT')) throw new RpcError(-32000, e.message, { reason });
    throw e;
  }
}

export function addOperatorMethods(m: Map<string, RpcHandler>, ops: OperatorOps, faults: FaultOps | undefined): void {
  m.set('addPeer', ([url]) => {
    if (typeof url !== 'string' || !/^ws:\/\//.test(url)) throw invalidParams('bad-peer-url', '"url" must be ws://host:port');
    return mapped(() => ops.addPeer(url), 'connect-failed');
  });

  m.set('disconnectPeer', ([nodeId]) => {
    const n = ops.disconnectPeer(nodeIdParam(nodeId));
    if (n === 0) throw notFound('peer-not-found', `not connected to ${nodeId as string}`);
    return { disconnected: n };
  });

  m.set('setNetworkActive', ([on]) => {
    if (typeof on !== 'boolean') throw invalidParams('bad-param', '"active" must be true or false');
    ops.setNetworkActive(on);
    return { networkActive: ops.networkActive() };
  });

  m.set('setBan', ([target, seconds]) => {
    const key = banKeyParam(target);
    const s = seconds === undefined ? DEFAULT_BAN_SECONDS : intParam(seconds, 'seconds', 0, MAX_BAN_SECONDS, 'bad-ban-time');
    if (s === 0) return { unbanned: ops.unban(key) };
    return mapped(() => {
      ops.ban(key, s);
      return { banned: key, until: Date.now() + s * 1000 };
    }, 'bad-ban-key');
  });

  m.set('listBanned', () => ops.listBanned().map((b) => ({ key: b.key, until: b.until, reason: b.reason })));

  m.set('clearBanned', () => {
    let n = 0;
    for (const b of ops.listBanned()) if (ops.unban(b.key)) n++;
    return { cleared: n };
  });

  m.set('generate', ([n, address]) => {
    const count = intParam(n, 'n', 1, 1000, 'bad-param');
    let to: Uint8Array | undefined;
    if (address !== undefined && address !== null) {
      if (typeof address !== 'string') throw invalidParams('bad-address', '"address" must be a string');
      try {
        to = decodeAddress(address);
      } catch (e) {
        throw invalidParams('bad-address', (e as Error).message);
      }
    }
    return mapped(() => ops.generate(count, to), 'generate-failed');
  });

  m.set('getArrivals', () => ops.arrivals());
  m.set('getLedgerSummary', () => ops.ledgerSummary());

  // ---- test-only controls: refused without --allow-faults ----
  const guard = (name: string, h: RpcHandler): void => {
    m.set(name, (params) => {
      if (!faults) throw new RpcError(RPC_FORBIDDEN, `${name} is a test-only control: start the node with --allow-faults`, { reason: 'faults-not-allowed' });
      return h(params);
    });
  };

  guard('setMockTime', ([ms]) => {
    const t = intParam(ms, 'ms', 0, Number.MAX_SAFE_INTEGER, 'bad-time');
    return mapped(() => {
      faults!.setMockTime(t);
      return { mockTime: t };
    }, 'bad-time');
  });

  guard('setPeerFilter', ([spec]) => {
    const deny = (spec as { deny?: unknown } | undefined)?.deny;
    if (typeof spec !== 'object' || spec === null || !Array.isArray(deny)) throw invalidParams('bad-param', 'expected { deny: [nodeId, ...] }');
    const ids = deny.map((d, i) => nodeIdParam(d, `deny[${i}]`));
    return mapped(() => {
      faults!.setPeerFilter(ids);
      return { deny: ids };
    }, 'bad-param');
  });

  guard('setLinkFault', ([spec]) => {
    if (typeof spec !== 'object' || spec === null) throw invalidParams('bad-param', 'expected { peer?, delayMs, jitterMs, dropPerMinute }');
    const s = spec as Record<string, unknown>;
    const peer = s.peer === undefined || s.peer === null ? undefined : nodeIdParam(s.peer, 'peer');
    const num = (k: string): number => (s[k] === undefined ? 0 : (s[k] as number));
    const rule = { ...(peer ? { peer } : {}), delayMs: num('delayMs'), jitterMs: num('jitterMs'), dropPerMinute: num('dropPerMinute') };
    return mapped(() => {
      faults!.setLinkFault(rule);
      return rule;
    }, 'bad-param');
  });
}
