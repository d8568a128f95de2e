/**
 * Wire codec of the connection-level messages with a body worth a function: `hello` (the handshake's
 * opening, whose layout grows with the protocol version), `addr` (address gossip) and `reject`. Part of the
 * codec dispatched by messages.ts; byte layouts in docs/protocol.md ("Wire messages").
 *
 * Pure and fuzzable: imports only node/core, ./message-types and ./wire-fields.
 */
import { Reader, Writer } from '../../core/bytes.js';
import { HASH_LEN } from '../../core/hash.js';
import { bytesToBigInt } from '../../core/keys.js';
import {
  MAX_ADDR, MAX_USER_AGENT_BYTES, MAX_REASON_BYTES, MAX_HOST_BYTES, NODE_ID_LEN, CHALLENGE_LEN, OBSERVED_IP_LEN,
  WORK_LEN, WireAddr, HelloMessage, AddrMessage, RejectMessage,
} from './message-types.js';
import { decodeError, readMs, readStr, writeCount, writeMs, writeStr, writeU256 } from './wire-fields.js';

export function writeHello(w: Writer, m: HelloMessage): void {
  w.u32(m.protocolVersion).u32(m.chainId).fixed(m.genesisHash, HASH_LEN).fixed(m.nodeId, NODE_ID_LEN);
  w.fixed(m.challenge, CHALLENGE_LEN).u16(m.listenPort).u32(m.bestHeight);
  writeU256(w, 'hello.bestWork', m.bestWork);
  w.fixed(m.bestHash, HASH_LEN);
  writeStr(w, 'hello.userAgent', m.userAgent, MAX_USER_AGENT_BYTES);
  writeMs(w, 'hello.timestamp', m.timestamp);
  if (m.protocolVersion >= 2) w.fixed(m.observedIp, OBSERVED_IP_LEN).u16(m.observedPort);
}

export function readHello(r: Reader): HelloMessage {
  const protocolVersion = r.u32('hello.protocolVersion');
  const h: HelloMessage = {
    type: 'hello',
    protocolVersion,
    chainId: r.u32('hello.chainId'),
    genesisHash: r.fixed(HASH_LEN, 'hello.genesisHash'),
    nodeId: r.fixed(NODE_ID_LEN, 'hello.nodeId'),
    challenge: r.fixed(CHALLENGE_LEN, 'hello.challenge'),
    listenPort: r.u16('hello.listenPort'),
    bestHeight: r.u32('hello.bestHeight'),
    bestWork: bytesToBigInt(r.fixed(WORK_LEN, 'hello.bestWork')),
    bestHash: r.fixed(HASH_LEN, 'hello.bestHash'),
    userAgent: readStr(r, 'hello.userAgent', MAX_USER_AGENT_BYTES),
    timestamp: readMs(r, 'hello.timestamp'),
    observedIp: new Uint8Array(OBSERVED_IP_LEN),
    observedPort: 0,
  };
  // The layout grows with the version: a v1 hello ends at the timestamp (and is then refused by checkHello).
  if (protocolVersion >= 2) {
    h.observedIp = r.fixed(OBSERVED_IP_LEN, 'hello.observedIp');
    h.observedPort = r.u16('hello.observedPort');
  }
  return h;
}

export function writeAddr(w: Writer, m: AddrMessage): void {
  writeCount(w, 'addr count', m.addrs.length, MAX_ADDR);
  for (const a of m.addrs) {
    writeStr(w, 'addr.host', a.host, MAX_HOST_BYTES);
    w.u16(a.port).fixed(a.nodeId, NODE_ID_LEN);
    writeMs(w, 'addr.lastSeen', a.lastSeen);
  }
}

export function readAddr(r: Reader): AddrMessage {
  const n = r.count('addr count', MAX_ADDR);
  // Smallest entry: empty host (1) + port (2) + nodeId (33) + lastSeen (8).
  if (r.remaining < n * (1 + 2 + NODE_ID_LEN + 8)) throw decodeError(`"addr" expected >= ${n * 44} bytes for ${n} entries, got ${r.remaining}`);
  const addrs: WireAddr[] = new Array(n);
  for (let i = 0; i < n; i++) {
    addrs[i] = {
      host: readStr(r, `addr[${i}].host`, MAX_HOST_BYTES),
      port: r.u16(`addr[${i}].port`),
      nodeId: r.fixed(NODE_ID_LEN, `addr[${i}].nodeId`),
      lastSeen: readMs(r, `addr[${i}].lastSeen`),
    };
  }
  return { type: 'addr', addrs };
}

export function writeReject(w: Writer, m: RejectMessage): void {
  writeStr(w, 'reject.reason', m.reason, MAX_REASON_BYTES);
  if (m.hash === null) w.u8(0);
  else w.u8(1).fixed(m.hash, HASH_LEN);
}

export function readReject(r: Reader): RejectMessage {
  const reason = readStr(r, 'reject.reason', MAX_REASON_BYTES);
  const flag = r.u8('reject.hasHash');
  if (flag > 1) throw decodeError(`"reject.hasHash" expected 0 or 1, got ${flag}`);
  return { type: 'reject', reason, hash: flag === 1 ? r.fixed(HASH_LEN, 'reject.hash') : null };
}
