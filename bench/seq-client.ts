/**
 * @module Sequential timing client: `bun bench/seq-client.ts '<job JSON>'` prints one JSON object.
 * One request at a time; each round sends `perRound` requests to every target, interleaved request by request
 * in a seeded shuffled order, so drift (timers, GC, other processes) touches every target alike.
 * Per request: ttfe = first chunk holding `data:` (streams), ttlb = last byte, both in ms from the call.
 */
import { rng } from "./lib/bodies.ts";

interface Target {
  key: string;
  url: string;
  headers: Record<string, string>;
}

interface Job {
  targets: Target[];
  body: string;
  rounds: number;
  perRound: number;
  warmup: number;
  /** Check the last bytes hold a usage object (streams with usage at the end). */
  expectUsage: boolean;
}

interface Sample {
  ttfe: number;
  ttlb: number;
  bytes: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const DATA = new TextEncoder().encode("data:");
const latin1 = new TextDecoder("latin1");

function hasData(chunk: Uint8Array): boolean {
  let i = chunk.indexOf(DATA[0]!);
  while (i !== -1 && i <= chunk.length - DATA.length) {
    if (chunk[i + 1] === DATA[1] && chunk[i + 2] === DATA[2] && chunk[i + 3] === DATA[3] && chunk[i + 4] === DATA[4]) {
      return true;
    }
    i = chunk.indexOf(DATA[0]!, i + 1);
  }
  return false;
}

async function once(t: Target): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(t.url, { method: "POST", headers: t.headers, body: job.body });
  if (res.status !== 200) throw new Error(`${t.key}: HTTP ${res.status} ${await res.text()}`);
  const reader = res.body!.getReader();
  let ttfe = NaN;
  let bytes = 0;
  /** The last bytes seen (the usage chunk may arrive before a separate `[DONE]` chunk). */
  let tail = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (Number.isNaN(ttfe) && hasData(value)) ttfe = performance.now() - t0;
    bytes += value.byteLength;
    if (job.expectUsage) tail = (tail + latin1.decode(value.subarray(-4096))).slice(-4096);
  }
  const ttlb = performance.now() - t0;
  if (job.expectUsage && !tail.includes('"usage":{')) {
    throw new Error(`${t.key}: no usage at the end of the stream`);
  }
  return { ttfe, ttlb, bytes };
}

const next = rng(0x5eed);
function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

for (let w = 0; w < job.warmup; w++) for (const t of job.targets) await once(t);
const rounds: Record<string, Sample[]>[] = [];
for (let r = 0; r < job.rounds; r++) {
  const round: Record<string, Sample[]> = Object.fromEntries(job.targets.map((t) => [t.key, []]));
  for (let i = 0; i < job.perRound; i++) {
    for (const t of shuffled(job.targets)) round[t.key]!.push(await once(t));
  }
  rounds.push(round);
}
console.log(JSON.stringify({ rounds }));
