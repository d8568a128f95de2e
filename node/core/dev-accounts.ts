/**
 * Deterministic public dev accounts, like anvil's: private key i = sha256(utf8(`${seed} ${i}`)).
 * They are funded by the bundled genesis.json and printed by the testnet. Never use them for value. Pure.
 */
import { sha256 } from './hash.js';
import { addressHashOf, publicKeyOf } from './keys.js';
import { encodeAddress } from './address.js';

export const DEFAULT_DEV_SEED = 'minichain dev account';

export interface DevAccount {
  index: number;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  addressHash: Uint8Array;
  address: string;
}

export function devAccount(index: number, seed = DEFAULT_DEV_SEED): DevAccount {
  const privateKey = sha256(new TextEncoder().encode(`${seed} ${index}`));
  const publicKey = publicKeyOf(privateKey);
  const addressHash = addressHashOf(publicKey);
  return { index, privateKey, publicKey, addressHash, address: encodeAddress(addressHash) };
}

export function devAccounts(count: number, seed = DEFAULT_DEV_SEED): DevAccount[] {
  return Array.from({ length: count }, (_, i) => devAccount(i, seed));
}
