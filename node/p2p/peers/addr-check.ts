/**
 * The AddrBook's admission check on one address before it is stored: a canonical acceptable host, a valid
 * port, a well-formed node id when one is claimed, a sane source, and not ourselves.
 * PURE: no I/O, no clock. Imports only storage/peer-layout and ./addr-policy.
 */
import { MAX_HOST_LEN, MAX_SOURCE_LEN, type PeerAddr, isNodeId, peerKey } from '../../storage/peer-layout.js';
import { type AddRejectReason, canonicalHost } from './addr-policy.js';

export type AddrCheck = { ok: true; host: string; port: number; nodeId?: string } | { ok: false; reason: AddRejectReason };

/**
 * Checks `addr` told by `source`: the host canonicalised and passed through `isAcceptableHost`, the node id
 * lowercased. `isSelf` says whether a "host:port" key or node id is ours.
 */
export function checkAddr(
  addr: PeerAddr,
  source: string,
  isAcceptableHost: (host: string) => boolean,
  isSelf: (key: string, nodeId: string | undefined) => boolean,
): AddrCheck {
  const host = typeof addr.host === 'string' ? canonicalHost(addr.host) : '';
  if (host.length === 0 || host.length > MAX_HOST_LEN || !isAcceptableHost(host)) return { ok: false, reason: 'bad-host' };
  if (!Number.isInteger(addr.port) || addr.port < 1 || addr.port > 65535) return { ok: false, reason: 'bad-port' };
  const nodeId = addr.nodeId?.toLowerCase();
  if (nodeId !== undefined && !isNodeId(nodeId)) return { ok: false, reason: 'bad-node-id' };
  if (typeof source !== 'string' || source.length === 0 || new TextEncoder().encode(source).length > MAX_SOURCE_LEN)
    return { ok: false, reason: 'bad-source' };
  if (isSelf(peerKey({ host, port: addr.port }), nodeId)) return { ok: false, reason: 'self-address' };
  return nodeId === undefined ? { ok: true, host, port: addr.port } : { ok: true, host, port: addr.port, nodeId };
}
