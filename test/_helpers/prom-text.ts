/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on any line the format does
 * not allow, on a sample before its family's HELP and TYPE, on a family split in two, on a repeated series, and on
 * histogram buckets that are not cumulative or whose `+Inf` bucket differs from `_count`.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The value as written (exact decimal USD for cost metrics). */
  text: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE = new RegExp(`^(${NAME})(\\{.*\\})? (\\S+)( -?\\d+)?$`, "s");
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
const FLOAT = /^[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;

export function parseFloatText(text: string): number {
  if (!FLOAT.test(text)) throw new Error(`Not a float: ${JSON.stringify(text)}`);
  if (/Inf$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return text.endsWith("NaN") ? NaN : Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text.slice(1, -1);
  while (rest !== "") {
    const m = LABEL.exec(rest);
    if (m === null) throw new Error(`Bad labels in line: ${line}`);
    const [all, name, raw, comma] = m as unknown as [string, string, string, string];
    if (Object.hasOwn(labels, name)) throw new Error(`Label ${name} twice in line: ${line}`);
    labels[name] = raw.replace(/\\([\\"n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(all.length);
    if (comma === "," && rest === "") break; // a trailing comma is allowed
  }
  return labels;
}

/** The family a sample name belongs to (histogram suffixes stripped when such a family was declared). */
function familyOf(name: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m ? families.get(m[1]!) : undefined;
  return base && (base.type === "histogram" || base.type === "summary") ? base : undefined;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (text !== "" && !text.endsWith("\n")) throw new Error("Exposition does not end with a line feed");
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: MetricFamily | null = null;
  for (const line of text.split("\n").slice(0, -1)) {
    if (line === "") throw new Error("Empty line in the exposition");
    let m: RegExpExecArray | null;
    if ((m = HELP.exec(line))) {
      if (helps.has(m[1]!)) throw new Error(`HELP twice for ${m[1]}`);
      helps.set(m[1]!, m[2]!);
    } else if ((m = TYPE.exec(line))) {
      const name = m[1]!;
      if (families.has(name)) throw new Error(`TYPE twice for ${name}`);
      if (!helps.has(name)) throw new Error(`TYPE before HELP for ${name}`);
      if (current) finished.add(current.name);
      current = { name, help: helps.get(name)!, type: m[2] as MetricFamily["type"], samples: [] };
      families.set(name, current);
    } else if (line.startsWith("#")) {
      throw new Error(`Unexpected comment line: ${line}`);
    } else if ((m = SAMPLE.exec(line))) {
      const name = m[1]!;
      const family = familyOf(name, families);
      if (family === undefined) throw new Error(`Sample before its HELP and TYPE: ${line}`);
      if (family !== current || finished.has(family.name)) throw new Error(`Family ${family.name} is split: ${line}`);
      const labels = m[2] ? parseLabels(m[2], line) : {};
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (series.has(key)) throw new Error(`Series repeated: ${line}`);
      series.add(key);
      const value = parseFloatText(m[3]!);
      if (family.type === "counter" && !(value >= 0)) throw new Error(`Counter below zero: ${line}`);
      family.samples.push({ name, labels, value, text: m[3]! });
    } else {
      throw new Error(`Not a valid exposition line: ${JSON.stringify(line)}`);
    }
  }
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

/** Per label set (without `le`): buckets ascend in `le`, counts never fall, `+Inf` exists and equals `_count`. */
function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  const group = (labels: Record<string, string>) => {
    const { le: _, ...rest } = labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: [] }));
    return g;
  };
  for (const s of family.samples) {
    if (s.name === `${family.name}_bucket`) {
      if (s.labels.le === undefined) throw new Error(`${family.name}_bucket without le`);
      group(s.labels).buckets.push([parseFloatText(s.labels.le), s.value]);
    } else if (s.name === `${family.name}_count`) group(s.labels).count = s.value;
    else if (s.name === `${family.name}_sum`) group(s.labels).sum = s.value;
    else throw new Error(`Histogram ${family.name} has a plain sample ${s.name}`);
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`${family.name}${key}: no _count or _sum`);
    for (let i = 1; i < g.buckets.length; i++) {
      const [le, n] = g.buckets[i]!;
      const [prevLe, prevN] = g.buckets[i - 1]!;
      if (!(le > prevLe)) throw new Error(`${family.name}${key}: le ${le} after ${prevLe}`);
      if (n < prevN) throw new Error(`${family.name}${key}: buckets not cumulative (${prevN} then ${n})`);
    }
    const last = g.buckets[g.buckets.length - 1];
    if (last === undefined || last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (last[1] !== g.count) throw new Error(`${family.name}${key}: +Inf bucket ${last[1]} but _count ${g.count}`);
  }
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sumOf(families: Map<string, MetricFamily>, name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
  }
  return total;
}

/** The samples named `name` (any family). */
export function samplesOf(families: Map<string, MetricFamily>, name: string): Sample[] {
  return [...families.values()].flatMap((f) => f.samples.filter((s) => s.name === name));
}
