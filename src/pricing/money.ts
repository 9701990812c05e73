/** @module Integer pico-USD (1e-12 USD) ↔ decimal USD text, exactly (string and bigint arithmetic, no float). */
import { decimalToScaledRounded, toSafeNumber } from "./decimal.ts";

const PICO_DIGITS = 12;

function toBig(pico: number | bigint): bigint {
  if (typeof pico === "bigint") return pico;
  if (!Number.isSafeInteger(pico)) throw new RangeError(`Pico-USD amount "${pico}" is not an exact integer`);
  return BigInt(pico);
}

/** Exact decimal USD, trailing zeros trimmed: `usd(1_350_000_000) === "0.00135"`, `usd(0) === "0"`. */
export function usd(pico: number | bigint): string {
  // Safe integers print their exact digits; BigInt only where a Number could not hold the amount.
  const v = typeof pico === "number" && Number.isSafeInteger(pico) ? pico : toBig(pico);
  const neg = v < 0;
  const digits = (neg ? -v : v).toString().padStart(PICO_DIGITS + 1, "0");
  const whole = digits.slice(0, -PICO_DIGITS);
  const frac = digits.slice(-PICO_DIGITS).replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/** USD with exactly `decimals` decimals (0–12), rounded half up (away from zero): `usdFixed(45_000_000, 6) === "0.000045"`. */
export function usdFixed(pico: number | bigint, decimals: number): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > PICO_DIGITS) {
    throw new RangeError(`Decimals "${decimals}" must be an integer from 0 to 12`);
  }
  let rounded: number | bigint;
  let neg: boolean;
  const unitNumber = 10 ** (PICO_DIGITS - decimals);
  if (typeof pico === "number" && Number.isSafeInteger(pico) && Math.abs(pico) <= Number.MAX_SAFE_INTEGER - unitNumber) {
    // Hot path (a log line per request): integer Number arithmetic is exact here; `%` and `-` stay integral.
    neg = pico < 0;
    const up = Math.abs(pico) + Math.floor(unitNumber / 2);
    rounded = (up - (up % unitNumber)) / unitNumber;
  } else {
    const v = toBig(pico);
    neg = v < 0n;
    const unit = 10n ** BigInt(PICO_DIGITS - decimals);
    rounded = ((neg ? -v : v) + unit / 2n) / unit;
  }
  const digits = rounded.toString().padStart(decimals + 1, "0");
  const whole = decimals === 0 ? digits : digits.slice(0, -decimals);
  const frac = decimals === 0 ? "" : `.${digits.slice(-decimals)}`;
  return `${neg && Number(rounded) !== 0 ? "-" : ""}${whole}${frac}`;
}

/** Exact sum of many amounts (a bigint never overflows; convert at the edge). */
export function sumPico(values: Iterable<number | bigint>): bigint {
  let total = 0n;
  for (const v of values) total += toBig(v);
  return total;
}

/**
 * A provider-reported USD amount (OpenRouter `usage.cost`, a JSON number or its text) → pico-USD. The
 * number's shortest decimal text is converted exactly; digits below a pico-dollar are rounded half up.
 */
export function usdToPico(value: number | string): number | null {
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  const text = typeof value === "number" ? String(value) : value;
  const v = decimalToScaledRounded(text, PICO_DIGITS);
  return v === null || v < 0n ? null : toSafeNumber(v);
}

/** xAI `cost_in_usd_ticks` (1 tick = 1e-10 USD) → pico-USD (×100, exact). */
export function ticksToPico(ticks: number): number | null {
  return Number.isSafeInteger(ticks) && ticks >= 0 ? toSafeNumber(BigInt(ticks) * 100n) : null;
}
