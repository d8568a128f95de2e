/** Peer database values: canonical round trip and strict decoding of entries and ban records. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type AddrEntry,
  decodeAddrEntry,
  decodeBanRecord,
  encodeAddrEntry,
  encodeBanRecord,
  isNodeId,
  keySuffix,
  peerDbKey,
} from '../../node/storage/peer-layout.js';
import { isNodeError } from '../../node/core/errors.js';

const ID = '02' + 'ab'.repeat(32);
const entry: AddrEntry = {
  host: '127.0.0.1',
  port: 9001,
  nodeId: ID,
  verified: true,
  source: 'seed',
  firstSeen: 1_700_000_000_000,
  lastSeen: 1_700_000_001_000,
  lastAttempt: 1_700_000_002_000,
  lastSuccess: 1_700_000_003_000,
  failures: 3,
  bannedUntil: 1_700_100_000_000,
  banReason: 'bad-blk-merkle',
};
const isDecodeError = (e: unknown) => isNodeError(e, 'DECODE_ERROR');

describe('peer-layout', () => {
  it('round-trips entries with and without optional fields', () => {
    assert.deepEqual(decodeAddrEntry(encodeAddrEntry(entry), '127.0.0.1:9001'), entry);
    const bare: AddrEntry = { host: 'localhost', port: 1, verified: false, source: ID, firstSeen: 0, lastSeen: 0, lastAttempt: 0, lastSuccess: 0, failures: 0 };
    assert.deepEqual(decodeAddrEntry(encodeAddrEntry(bare), 'localhost:1'), bare);
    const ban = { key: ID, until: 5, reason: 'spam' };
    assert.deepEqual(decodeBanRecord(encodeBanRecord(ban), ID), ban);
  });

  it('rejects trailing bytes, unknown versions and flags, a key mismatch and truncation', () => {
    const good = encodeAddrEntry(entry);
    const trailing = Uint8Array.of(...good, 0);
    const version = Uint8Array.of(2, ...good.subarray(1));
    const flagsAt = 1 + 1 + 9 + 2; // version, host length, "127.0.0.1", port
    const flags = good.slice();
    flags[flagsAt] = flags[flagsAt]! | 0x80;
    assert.throws(() => decodeAddrEntry(trailing, '127.0.0.1:9001'), isDecodeError);
    assert.throws(() => decodeAddrEntry(version, '127.0.0.1:9001'), isDecodeError);
    assert.throws(() => decodeAddrEntry(flags, '127.0.0.1:9001'), isDecodeError);
    assert.throws(() => decodeAddrEntry(good, '127.0.0.1:9002'), isDecodeError);
    for (let n = 0; n < good.length; n++) assert.throws(() => decodeAddrEntry(good.subarray(0, n), '127.0.0.1:9001'), isDecodeError);
    assert.throws(() => decodeBanRecord(Uint8Array.of(1, 0, 0), ID), isDecodeError);
  });

  it('refuses to encode what it could not decode', () => {
    assert.throws(() => encodeAddrEntry({ ...entry, source: 'x'.repeat(81) }), (e) => isNodeError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => encodeAddrEntry({ ...entry, nodeId: 'zz' }), (e) => isNodeError(e, 'INVALID_ARGUMENT'));
  });

  it('builds prefixed keys and recognises node ids', () => {
    assert.deepEqual(peerDbKey('127.0.0.1:1'), Uint8Array.of(0x70, ...new TextEncoder().encode('127.0.0.1:1')));
    assert.equal(keySuffix(peerDbKey('127.0.0.1:1')), '127.0.0.1:1');
    assert.equal(isNodeId(ID), true);
    assert.equal(isNodeId('04' + 'ab'.repeat(32)), false);
    assert.equal(isNodeId(ID.toUpperCase()), false);
  });
});
