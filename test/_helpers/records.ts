/** Reading stored records back through the API of a running Kestrel. */
import type { UsageRecord } from "../../src/usage/record.ts";
import { until } from "./poll.ts";

/** Waits until the record of the request tagged `tag` is stored (the flusher batches), and returns it. */
export async function recordTagged(url: string, tag: string): Promise<UsageRecord> {
  let found: UsageRecord | undefined;
  await until(`the record tagged ${tag}`, async () => {
    const res = await fetch(`${url}/api/requests?limit=1000`);
    const { requests } = await res.json() as { requests: UsageRecord[] };
    found = requests.find((r) => r.tags.includes(tag));
    return found !== undefined;
  }, { everyMs: 25 });
  return found!;
}
