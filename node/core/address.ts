/**
 * Human-readable addresses: bech32m (BIP-350) over the 20-byte account hash, prefix `mc`.
 * The checksum catches any single-character typo, so a mistyped address is refused instead of
 * burning funds. Pure: @scure/base is a tiny audited pure encoder from the noble family.
 */
import { bech32m } from '@scure/base';
import { ADDRESS_HASH_LEN } from './keys.js';
import { NodeError } from './errors.js';

export const ADDRESS_PREFIX = 'mc';

export function encodeAddress(hash: Uint8Array): string {
  if (hash.length !== ADDRESS_HASH_LEN) throw new NodeError('INVALID_ARGUMENT', `address hash must be 20 bytes, got ${hash.length}`);
  return bech32m.encode(ADDRESS_PREFIX, bech32m.toWords(hash));
}

/** @throws NodeError INVALID_ARGUMENT with a one-line reason (bad checksum, wrong prefix, wrong length). */
export function decodeAddress(address: string): Uint8Array {
  if (typeof address !== 'string' || address.length === 0) throw new NodeError('INVALID_ARGUMENT', 'address is empty');
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32m.decode(address as `${string}1${string}`, 90);
  } catch (e) {
    throw new NodeError('INVALID_ARGUMENT', `invalid address "${address}": bad checksum or format`, { cause: e });
  }
  if (decoded.prefix !== ADDRESS_PREFIX)
    throw new NodeError('INVALID_ARGUMENT', `invalid address "${address}": prefix must be "${ADDRESS_PREFIX}"`);
  let hash: Uint8Array;
  try {
    hash = bech32m.fromWords(decoded.words);
  } catch (e) {
    throw new NodeError('INVALID_ARGUMENT', `invalid address "${address}": bad padding`, { cause: e });
  }
  if (hash.length !== ADDRESS_HASH_LEN) throw new NodeError('INVALID_ARGUMENT', `invalid address "${address}": wrong length`);
  return hash;
}

export function isAddress(address: string): boolean {
  try {
    decodeAddress(address);
    return true;
  } catch {
    return false;
  }
}
