/** @module Exact decimal text → scaled integer, the only way prices enter Kestrel (no float multiply, ever). */

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * `text × 10^scale` as an exact bigint, or null when `text` is not a plain decimal number or the result has a
 * fractional part. `decimalToScaled("2.5e-06", 12)` → 2500000n (2.5e-06 USD per token in pico-USD).
 */
export function decimalToScaled(text: string, scale: number): bigint | null {
  const m = DECIMAL.exec(text.trim());
  if (m === null) return null;
  const frac = m[3] ?? "";
  let digits = (m[2] ?? "") + frac;
  let exp = Number(m[4] ?? "0") - frac.length + scale;
  if (!Number.isSafeInteger(exp) || exp > 64) return null;
  if (exp < 0) {
    // Exact only when the digits we would drop are all zeros.
    const cut = digits.length + exp;
    const dropped = cut > 0 ? digits.slice(cut) : digits;
    if (!/^0*$/.test(dropped)) return null;
    digits = cut > 0 ? digits.slice(0, cut) : "0";
    exp = 0;
  }
  const value = BigInt(digits) * 10n ** BigInt(exp);
  return m[1] === "-" ? -value : value;
}

/**
 * Like `decimalToScaled` but rounds a fractional result half away from zero instead of refusing it. For values
 * Kestrel does not own (a provider-reported cost with sub-pico digits), never for prices.
 */
export function decimalToScaledRounded(text: string, scale: number): bigint | null {
  const exact = decimalToScaled(text, scale);
  if (exact !== null) return exact;
  const m = DECIMAL.exec(text.trim());
  if (m === null) return null;
  // One extra digit of precision, then round on it.
  const tenfold = decimalToScaledTruncated(m, scale + 1);
  if (tenfold === null) return null;
  const neg = tenfold < 0n;
  const abs = neg ? -tenfold : tenfold;
  const rounded = (abs + 5n) / 10n;
  return neg ? -rounded : rounded;
}

function decimalToScaledTruncated(m: RegExpExecArray, scale: number): bigint | null {
  const frac = m[3] ?? "";
  const digits = (m[2] ?? "") + frac;
  const exp = Number(m[4] ?? "0") - frac.length + scale;
  if (!Number.isSafeInteger(exp) || exp > 64) return null;
  let value: bigint;
  if (exp >= 0) value = BigInt(digits) * 10n ** BigInt(exp);
  else {
    const cut = digits.length + exp;
    value = cut > 0 ? BigInt(digits.slice(0, cut)) : 0n;
  }
  return m[1] === "-" ? -value : value;
}

/** A bigint known to fit a JS number exactly, as a number; throws when it does not (never a rounded float). */
export function toSafeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`"${value}" exceeds the exact integer range (2^53, about $9,007 in pico-USD)`);
  }
  return Number(value);
}
