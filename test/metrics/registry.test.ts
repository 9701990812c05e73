// The registry's exposition text: escaping, histograms, exact pico sums; and the strict parser the other metric
// tests rely on, which must reject what the format does not allow.
import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeLabelValue, formatValue, PicoSum, Registry } from "../../src/metrics/registry.ts";
import { parsePrometheusText, samplesOf } from "../_helpers/prom-text.ts";

test("label values escape backslash, double quote and line feed, and parse back to the original", () => {
  const r = new Registry();
  const weird = 'a\\b"c\nd\re}{,=';
  r.counter("x_total", "Help with \\ and\nnewline.", ["model"]).labels(weird).inc(2);
  const text = r.render();
  assert.match(text, /^# HELP x_total Help with \\\\ and\\nnewline\.\n# TYPE x_total counter\n/);
  assert.ok(text.includes(`x_total{model="a\\\\b\\"c\\nd\re}{,="} 2\n`), text);
  const sample = samplesOf(parsePrometheusText(text), "x_total")[0]!;
  assert.equal(sample.labels.model, weird);
  assert.equal(sample.value, 2);
  assert.equal(escapeLabelValue("plain"), "plain");
});

test("a histogram renders cumulative buckets, +Inf equal to _count, _sum; an observation on a bound is in it", () => {
  const r = new Registry();
  const h = r.histogram("d_seconds", "Durations.", [0.1, 1, 10], ["provider"]);
  const child = h.labels("openai");
  for (const v of [0.05, 0.1, 0.5, 1, 5, 50, NaN]) child.observe(v);
  h.labels("anthropic");
  const text = r.render();
  const lines = text.split("\n").filter((l) => l.startsWith("d_seconds") && l.includes("openai"));
  assert.deepEqual(lines, [
    'd_seconds_bucket{provider="openai",le="0.1"} 2',
    'd_seconds_bucket{provider="openai",le="1"} 4',
    'd_seconds_bucket{provider="openai",le="10"} 5',
    'd_seconds_bucket{provider="openai",le="+Inf"} 6',
    'd_seconds_sum{provider="openai"} 56.65',
    'd_seconds_count{provider="openai"} 6',
  ]);
  assert.ok(text.includes('d_seconds_bucket{provider="anthropic",le="+Inf"} 0\n'));
  parsePrometheusText(text);
});

test("an unlabelled histogram and gauge render without braces", () => {
  const r = new Registry();
  r.histogram("a_seconds", "A.", [1]).labels().observe(2);
  r.gauge("g", "G.").labels().set(-3.5);
  const text = r.render();
  assert.ok(text.includes('a_seconds_bucket{le="1"} 0\na_seconds_bucket{le="+Inf"} 1\na_seconds_sum 2\na_seconds_count 1\n'));
  assert.ok(text.includes("\ng -3.5\n"));
  parsePrometheusText(text);
});

test("a pico-USD sum stays exact past 2^53 and prints exact decimal USD", () => {
  const sum = new PicoSum();
  const max = Number.MAX_SAFE_INTEGER;
  sum.add(max);
  sum.add(max);
  sum.add(1);
  assert.equal(sum.pico, 2n * BigInt(max) + 1n);
  assert.equal(sum.text(), "18014.398509481983");
  const small = new PicoSum();
  small.add(1_350_000_000);
  small.add(1);
  assert.equal(small.text(), "0.001350000001");
  small.set(5_000_000_000_000n);
  assert.equal(small.text(), "5");
});

test("registration refuses bad names, a repeated name, descending buckets and a wrong label count", () => {
  const r = new Registry();
  r.counter("ok_total", "Ok.", ["a"]);
  assert.throws(() => r.counter("ok_total", "Again."), /twice/);
  assert.throws(() => r.counter("bad-name", "Bad."), /Invalid metric name/);
  assert.throws(() => r.counter("x", "Bad label.", ["__ok", "1bad"]), /Invalid label name/);
  assert.throws(() => r.histogram("h", "H.", [1, 1]), /ascend/);
  assert.throws(() => r.histogram("h2", "H.", [1], ["le"]), /bucket label/);
  assert.throws(() => r.counter("y", "Y.", ["a"]).labels("1", "2"), /takes 1 labels/);
});

test("values use Go float syntax", () => {
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(1e21), "1e+21");
  assert.equal(formatValue(0.000005), "0.000005");
});

test("the test parser rejects what the format does not allow", () => {
  const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";
  parsePrometheusText(ok);
  const bad: [string, RegExp][] = [
    ["a_total 1\n", /before its HELP and TYPE/],
    ["# TYPE a_total counter\na_total 1\n", /TYPE before HELP/],
    [ok.slice(0, -1), /line feed/],
    [ok + "\n", /Empty line/],
    [ok.replace("a_total 1", "a_total one"), /Not a float/],
    [ok.replace("a_total 1", 'a_total{x="a\\t"} 1'), /Bad labels/],
    [ok.replace("a_total 1", 'a_total{x="1",x="2"} 1'), /twice/],
    [ok.replace("a_total 1", "a_total -1"), /below zero/],
    [ok + "a_total 2\n", /repeated/],
    [ok + "# HELP b B.\n# TYPE b gauge\nb 1\na_total{x=\"1\"} 1\n", /split/],
    [ok + "# a comment\n", /Unexpected comment/],
    ["# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", /not cumulative/],
    ["# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", /no \+Inf/],
    ["# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", /_count 1/],
  ];
  for (const [text, error] of bad) assert.throws(() => parsePrometheusText(text), error, JSON.stringify(text));
});
