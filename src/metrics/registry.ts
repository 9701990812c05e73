/**
 * @module A tiny Prometheus registry: counter, gauge and histogram families with fixed label names, and the text
 * exposition format 0.0.4. A child (one label combination) is found once and then kept by its caller, so updating
 * a metric is a plain number add; label text is escaped and joined only when a scrape renders it.
 */
import { usd } from "../pricing/money.ts";

export type MetricType = "counter" | "gauge" | "histogram";

/** A counter or gauge value. */
export class Value {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
  set(value: number): void {
    this.value = value;
  }
}

/**
 * A counter of integer pico-USD, exact at any size: a Number while it is a safe integer, spilling into a bigint
 * beyond (a Number alone would start rounding at about $9,007). Rendered as exact decimal USD.
 */
export class PicoSum {
  private small = 0;
  private big = 0n;
  add(pico: number): void {
    if (pico > Number.MAX_SAFE_INTEGER - this.small) {
      this.big += BigInt(this.small) + BigInt(pico);
      this.small = 0;
    } else {
      this.small += pico;
    }
  }
  /** For gauges (a budget's spend at scrape time). */
  set(pico: number | bigint): void {
    this.small = 0;
    this.big = BigInt(pico);
  }
  get pico(): bigint {
    return this.big + BigInt(this.small);
  }
  text(): string {
    return this.big === 0n ? usd(this.small) : usd(this.pico);
  }
}

/** Fixed buckets, counted per bucket (not cumulatively: one increment per observation); cumulated on render. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    if (v !== v) return; // NaN would land in the first bucket
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > (bounds[i] as number)) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

type Child = Value | PicoSum | Histogram;

/** One metric name with its label names; children keyed by their label values. */
export class Family<C extends Child> {
  private readonly children = new Map<string, { values: readonly string[]; child: C }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly string[],
    private readonly create: () => C,
  ) {}

  /** The child for these label values (created on first use). Not for the hot path: keep what it returns. */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new RangeError(`${this.name} takes ${this.labelNames.length} labels, not ${values.length}`);
    }
    const key = values.join("\u0000");
    let entry = this.children.get(key);
    if (entry === undefined) {
      entry = { values, child: this.create() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /** Drops every child (families refilled at each scrape, such as budgets that may have been deleted). */
  clear(): void {
    this.children.clear();
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`);
    for (const { values, child } of this.children.values()) {
      const labels = labelText(this.labelNames, values);
      if (child instanceof Histogram) renderHistogram(out, this.name, labels, child);
      else out.push(`${this.name}${labels === "" ? "" : `{${labels}}`} ${child instanceof PicoSum ? child.text() : formatValue(child.value)}\n`);
    }
  }
}

export class Registry {
  private readonly families: Family<Child>[] = [];
  private readonly names = new Set<string>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Family<Value> {
    return this.add(new Family(name, help, "counter", labelNames, () => new Value()));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Family<Value> {
    return this.add(new Family(name, help, "gauge", labelNames, () => new Value()));
  }
  /** Exact pico-USD amounts (a counter of costs, a gauge of spend), exposed as decimal USD. */
  pico(name: string, help: string, type: "counter" | "gauge", labelNames: readonly string[] = []): Family<PicoSum> {
    return this.add(new Family(name, help, type, labelNames, () => new PicoSum()));
  }
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Family<Histogram> {
    for (let i = 1; i < buckets.length; i++) {
      if (!((buckets[i] as number) > (buckets[i - 1] as number))) throw new RangeError(`${name}: buckets must ascend`);
    }
    if (labelNames.includes("le")) throw new RangeError(`${name}: "le" is the bucket label`);
    return this.add(new Family(name, help, "histogram", labelNames, () => new Histogram(buckets)));
  }

  /** The whole exposition text, families in the order they were registered. */
  render(): string {
    const out: string[] = [];
    for (const family of this.families) family.render(out);
    return out.join("");
  }

  private add<C extends Child>(family: Family<C>): Family<C> {
    if (!NAME.test(family.name)) throw new RangeError(`Invalid metric name ${JSON.stringify(family.name)}`);
    for (const label of family.labelNames) {
      if (!LABEL.test(label)) throw new RangeError(`Invalid label name ${JSON.stringify(label)}`);
    }
    if (this.names.has(family.name)) throw new RangeError(`Metric ${family.name} registered twice`);
    this.names.add(family.name);
    this.families.push(family as unknown as Family<Child>);
    return family;
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and line feed (the three the format names). */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`)) : value;
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

function labelText(names: readonly string[], values: readonly string[]): string {
  let text = "";
  for (let i = 0; i < names.length; i++) text += `${i === 0 ? "" : ","}${names[i]}="${escapeLabelValue(values[i] as string)}"`;
  return text;
}

/** Go's float syntax as Prometheus parses it: `+Inf`, `-Inf`, `NaN`, else JavaScript's shortest round-trip text. */
export function formatValue(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function renderHistogram(out: string[], name: string, labels: string, h: Histogram): void {
  const sep = labels === "" ? "" : ",";
  let cumulative = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    cumulative += h.counts[i] as number;
    out.push(`${name}_bucket{${labels}${sep}le="${formatValue(h.bounds[i] as number)}"} ${cumulative}\n`);
  }
  out.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${h.count}\n`);
  const suffix = labels === "" ? "" : `{${labels}}`;
  out.push(`${name}_sum${suffix} ${formatValue(h.sum)}\n${name}_count${suffix} ${h.count}\n`);
}
