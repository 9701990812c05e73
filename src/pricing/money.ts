/** @module Integer pico-USD (1e-12 USD) ↔ decimal USD text, exactly (string and bigint arithmetic, no float). */
import { decimalToScaledRounded, toSafeNumber } from "./decimal.ts";

const PICO_DIGITS = 12;
/** Leading zeros of a fraction, by count. */
const ZEROS = Array.from({ length: PICO_DIGITS + 1 }, (_, i) => "0".repeat(i));

function toBig(pico: number | bigint): bigint {
  if (typeof pico === "bigint") return pico;
  if (!Number.isSafeInteger(pico)) throw new RangeError(`Pico-USD amount "${pico}" is not an exact integer`);
  return BigInt(pico);
}

/** Exact decimal USD, trailing zeros trimmed: `usd(1_350_000_000) === "0.00135"`, `usd(0) === "0"`. */
export function usd(pico: number | bigint): string {
  // Hot path (a record's cost and breakdown): the integer's own digits, split and trimmed by index; no regex, no
  // padding, no BigInt (4-5× faster than those, bench/price-micro.ts).
  if (typeof pico === "number" && Number.isSafeInteger(pico)) {
    const neg = pico < 0;
    const s = `${neg ? -pico : pico}`;
    const point = s.length - PICO_DIGITS; // digits before the decimal point; ≤ 0: none
    let end = s.length;
    while (end > point && end > 0 && s.charCodeAt(end - 1) === 48) end--; // trailing "0"s of the fraction
    const text = point > 0
      ? (end === point ? s.slice(0, point) : `${s.slice(0, point)}.${s.slice(point, end)}`)
      : (end === 0 ? "0" : `0.${ZEROS[-point]}${s.slice(0, end)}`);
    return neg ? `-${text}` : text;
  }
  const v = toBig(pico);
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
