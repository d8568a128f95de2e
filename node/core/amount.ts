/**
 * Amounts: bigint base units everywhere, never floats. 1 coin = 10^8 base units.
 * Decimal strings are parsed and formatted exactly. Pure.
 */
import { NodeError } from './errors.js';

export const DECIMALS = 8;
export const COIN = 10n ** BigInt(DECIMALS);
/** Hard ceiling on any amount, fee or balance: 21 million coins. Checked after every sum. */
export const MAX_MONEY = 21_000_000n * COIN;

export function isMoneyRange(v: bigint): boolean {
  return v >= 0n && v <= MAX_MONEY;
}

/**
 * Parses "12", "0.5", "1.23456789" (coins) into base units.
 * @throws NodeError INVALID_ARGUMENT for negatives, too many decimals, junk or values above MAX_MONEY.
 */
export function parseAmount(text: string): bigint {
  const s = String(text).trim();
  if (s.startsWith('-')) throw new NodeError('INVALID_ARGUMENT', `amount must not be negative: "${s}"`);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new NodeError('INVALID_ARGUMENT', `invalid amount "${s}": expected a decimal number like 1.5`);
  const frac = m[2] ?? '';
  if (frac.length > DECIMALS)
    throw new NodeError('INVALID_ARGUMENT', `invalid amount "${s}": at most ${DECIMALS} decimal places`);
  const v = BigInt(m[1]!) * COIN + BigInt(frac.padEnd(DECIMALS, '0') || '0');
  if (v > MAX_MONEY) throw new NodeError('INVALID_ARGUMENT', `invalid amount "${s}": above the maximum supply`);
  return v;
}

/** Base units to a decimal coin string with trailing zeros trimmed: 150000000n -> "1.5". */
export function formatAmount(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = a / COIN;
  const frac = (a % COIN).toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + whole.toString() + (frac ? '.' + frac : '');
}

/** Parses a base-unit integer string as used in JSON ("150000000"). */
export function parseBaseUnits(text: string, what = 'amount'): bigint {
  if (typeof text !== 'string' || !/^\d{1,20}$/.test(text))
    throw new NodeError('INVALID_ARGUMENT', `"${what}" must be a decimal string of base units`);
  const v = BigInt(text);
  if (v > MAX_MONEY) throw new NodeError('INVALID_ARGUMENT', `"${what}" above the maximum supply`);
  return v;
}

/** Base units as a person reads them, with the unit: 100000n -> "0.001 coins". */
export function formatCoins(v: bigint): string {
  return `${formatAmount(v)} coins`;
}
