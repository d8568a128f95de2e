/**
 * Builds and signs a transfer locally: the private key never leaves the wallet, only the signed
 * 145-byte encoding (as hex) goes to the node. Also parses the user's coin amounts.
 * Imports node/core and wallet/ only.
 */
import { decodeAddress } from '../node/core/address.js';
import { MAX_MONEY, parseAmount } from '../node/core/amount.js';
import { toHex } from '../node/core/bytes.js';
import { publicKeyOf } from '../node/core/keys.js';
import { Tx, encodeTx, signTx, txIdHex } from '../node/core/tx.js';
import { WalletError } from './errors.js';

/** Default fee: 0.00001 coin = 1000 base units. */
export const DEFAULT_FEE = 1000n;

export interface TransferAmounts {
  amount: bigint;
  fee: bigint;
}

/**
 * Parses amount and fee given in coins ("1.5"); the fee defaults to DEFAULT_FEE.
 * @throws NodeError INVALID_ARGUMENT (core parseAmount: negative, too many decimals, junk, above supply)
 * @throws WalletError INVALID_INPUT for a zero amount or amount + fee above the maximum supply
 */
export function parseTransferAmounts(amount: string, fee?: string): TransferAmounts {
  const a = parseAmount(amount);
  if (a === 0n) throw new WalletError('INVALID_INPUT', `invalid amount "${amount}": must be greater than zero`);
  const f = fee === undefined ? DEFAULT_FEE : parseAmount(fee);
  if (a + f > MAX_MONEY) throw new WalletError('INVALID_INPUT', 'amount plus fee is above the maximum supply');
  return { amount: a, fee: f };
}

export interface TransferParams {
  chainId: number;
  privateKey: Uint8Array;
  /** Recipient as a bech32m address; its checksum is verified here. */
  to: string;
  amount: bigint;
  fee: bigint;
  nonce: bigint;
}

export interface SignedTransfer {
  tx: Tx;
  /** The canonical encoding as hex, what sendTransaction takes. */
  hex: string;
  id: string;
}

/**
 * Signs a transfer for `chainId` (replay protection: a tx signed for one chain is invalid on another).
 * @throws NodeError INVALID_ARGUMENT for a bad address or private key
 */
export function buildTransfer(p: TransferParams): SignedTransfer {
  const tx = signTx(
    { chainId: p.chainId, from: publicKeyOf(p.privateKey), to: decodeAddress(p.to), amount: p.amount, fee: p.fee, nonce: p.nonce },
    p.privateKey,
  );
  return { tx, hex: toHex(encodeTx(tx)), id: txIdHex(tx) };
}
