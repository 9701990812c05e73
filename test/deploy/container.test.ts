// deploy/Dockerfile cannot be built here (no Docker engine), so its final stage is checked and then run for real:
// its exact ENTRYPOINT + CMD with its ENV, against the built binary. Only two things are substituted — the
// binary's path (for the COPY destination) and a temporary directory for the /data volume — and KESTREL_PORT
// gets a free port, since 5501 may be taken on a shared machine. The HEALTHCHECK command is run the same way,
// and SIGTERM with streams in flight must drain inside the stop timeout that Docker, compose and the pod allow.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";
import { hostBinary } from "../_helpers/binary.ts";
import { tempDir } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { ROOT } from "../_helpers/runtime.ts";
import { envOf, execForm, finalStage, readDockerfile } from "./dockerfile.ts";

const stage = finalStage(readDockerfile());
const one = (op: string) => stage.filter((i) => i.op === op).at(-1);
const ENV = envOf(stage);
/** Docker's default `docker stop` timeout; compose and the pod example set the same. */
const DOCKER_STOP_S = 10;
/** After the grace period the drain cuts what is left and waits up to 2 s for the records (src/app.ts). */
const CUT_S = 2;
/** HEALTHCHECK [OPTIONS] CMD ["…"]: the exec-form command. */
function healthCommand(): string[] {
  const i = one("HEALTHCHECK")!;
  return execForm({ ...i, args: i.args.slice(i.args.indexOf("CMD") + 3).trim() }, "HEALTHCHECK CMD");
}
const graceS = () => Number(/^(\d+)s$/.exec(ENV.KESTREL_SHUTDOWN_GRACE ?? "")?.[1] ?? NaN);

test("Dockerfile: non-root, listens on all interfaces, a volume for the database, exec-form health check", () => {
  assert.deepEqual(stage.map((i) => i.op).filter((op) => !["FROM", "COPY", "USER", "WORKDIR", "ENV", "VOLUME", "EXPOSE", "STOPSIGNAL", "HEALTHCHECK", "ENTRYPOINT", "CMD"].includes(op)), [], "no RUN: the base has no shell");
  assert.match(one("USER")!.args, /^[1-9]\d*:[1-9]\d*$/, "a numeric non-root user");
  assert.equal(ENV.KESTREL_HOST, "0.0.0.0");
  const volume = execForm(one("VOLUME"), "VOLUME")[0]!;
  assert.ok(ENV.KESTREL_DB?.startsWith(`${volume}/`), "the database is on the volume");
  assert.equal(one("EXPOSE")!.args, ENV.KESTREL_PORT);
  assert.equal(one("STOPSIGNAL")!.args, "SIGTERM");
  assert.ok(ENV.BUN_CONFIG_MAX_HTTP_REQUESTS, "Bun's upstream connection limit raised");
  assert.deepEqual(healthCommand(), [execForm(one("ENTRYPOINT"), "ENTRYPOINT")[0], "health"]);
  assert.ok(graceS() + CUT_S < DOCKER_STOP_S, `grace ${graceS()} s + ${CUT_S} s cut < docker stop's ${DOCKER_STOP_S} s`);
  // What COPY puts where ENTRYPOINT runs it, from a named build stage.
  const copy = stage.find((i) => i.op === "COPY" && i.args.endsWith(execForm(one("ENTRYPOINT"), "ENTRYPOINT")[0]!));
  assert.ok(copy, "the binary is copied to the ENTRYPOINT path");
  assert.match(readFileSync(join(ROOT, "deploy/Dockerfile"), "utf8"), /AS build\n/);
});

test("compose and Kubernetes sidecars: app SDKs on 127.0.0.1, /health probes, token from a secret, stop time above the drain", () => {
  const port = Number(ENV.KESTREL_PORT);
  const base = new RegExp(`^http://127\\.0\\.0\\.1:${port}/([a-z-]+)(/|$)`);
  const knownProvider = (url: string) => PROVIDER_IDS.includes(base.exec(url)?.[1] ?? "");

  const compose = parse(readFileSync(join(ROOT, "deploy/compose.yaml"), "utf8"));
  const kestrel = compose.services.kestrel;
  assert.match(kestrel.environment.KESTREL_ADMIN_TOKEN, /^\$\{KESTREL_ADMIN_TOKEN:\?/, "the token comes from outside the file and is required");
  assert.ok(kestrel.volumes.some((v: string) => v.endsWith(`:${execForm(one("VOLUME"), "VOLUME")[0]}`)));
  assert.ok(Number(/^(\d+)s$/.exec(kestrel.stop_grace_period)![1]) > graceS() + CUT_S);
  const app = compose.services.app;
  assert.equal(app.network_mode, "service:kestrel");
  assert.equal(app.depends_on.kestrel.condition, "service_healthy");
  const composeUrls = Object.values(app.environment as Record<string, string>).filter((v) => v.startsWith("http"));
  assert.ok(composeUrls.length > 0 && composeUrls.every(knownProvider), composeUrls.join(" "));

  const pod = parse(readFileSync(join(ROOT, "deploy/kubernetes/pod.yaml"), "utf8"));
  assert.equal(pod.kind, "Pod");
  assert.ok(pod.spec.terminationGracePeriodSeconds > graceS() + CUT_S);
  assert.equal(String(pod.spec.securityContext.runAsUser), one("USER")!.args.split(":")[0]);
  const [appC, sidecar] = ["app", "kestrel"].map((n) => pod.spec.containers.find((c: { name: string }) => c.name === n));
  const podUrls = appC.env.map((e: { value?: string }) => e.value ?? "").filter((v: string) => v.startsWith("http"));
  assert.ok(podUrls.length > 0 && podUrls.every(knownProvider), podUrls.join(" "));
  for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
    assert.deepEqual(sidecar[probe].httpGet, { path: "/health", port }, probe);
  }
  const token = sidecar.env.find((e: { name: string }) => e.name === "KESTREL_ADMIN_TOKEN");
  assert.ok(token.valueFrom.secretKeyRef.name && token.valueFrom.secretKeyRef.key && token.value === undefined);
  assert.ok(sidecar.volumeMounts.some((m: { mountPath: string }) => m.mountPath === execForm(one("VOLUME"), "VOLUME")[0]));
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

test("the image's command and environment serve, pass the health check, and drain streams on SIGTERM", async () => {
  const entry = execForm(one("ENTRYPOINT"), "ENTRYPOINT");
  const cmd = execForm(one("CMD"), "CMD");
  const volume = execForm(one("VOLUME"), "VOLUME")[0]!;
  const data = tempDir();
  const binary = hostBinary();
  let finish!: () => void;
  const finishing = new Promise<void>((resolve) => (finish = resolve));
  const mock = await startMock(async (req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`data: {"model":"gpt-4o-mini","choices":[{"delta":{"content":"hi"}}]}\n\n`);
    if (req.url?.includes("never")) return; // held open until the drain cuts it
    await finishing;
    res.end(`data: {"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}}\n\ndata: [DONE]\n\n`);
  });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...ENV,
    KESTREL_PORT: String(await freePort()),
    KESTREL_DB: ENV.KESTREL_DB!.replace(volume, data),
    KESTREL_UPSTREAM_OPENAI: mock.url,
  };
  const proc: ChildProcess = spawn(binary, [...entry.slice(1), ...cmd], { cwd: data, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  try {
    await until("the listening line", () => /listening on http:\/\/0\.0\.0\.0:\d+/.test(out) || proc.exitCode !== null, { detail: () => out });
    const url = `http://127.0.0.1:${env.KESTREL_PORT}`;
    const health = spawnSync(binary, healthCommand().slice(1), { env, encoding: "utf8", timeout: 30_000 });
    assert.equal(health.status, 0, health.stderr);

    const streams = ["/openai/v1/chat/completions?finishes", "/openai/v1/chat/completions?never"].map(async (path) => {
      const res = await fetch(url + path, { method: "POST", body: JSON.stringify({ model: "gpt-4o-mini", stream: true }) });
      return await res.text().catch((err: Error) => `cut: ${err.message}`);
    });
    await until("both streams upstream", () => mock.received.length === 2);
    proc.kill("SIGTERM");
    await until("the drain to start", () => /SIGTERM: no new connections; waiting up to (\d+) ms for 2 requests/.test(out), { detail: () => out });
    assert.equal(Number(/waiting up to (\d+) ms/.exec(out)![1]), graceS() * 1000);
    finish();
    const [finished] = await Promise.all(streams);
    assert.match(finished!, /"usage":\{"prompt_tokens":2.*data: \[DONE\]\n\n$/s, "the stream that ended during the drain arrived whole");
    await closed;
    assert.match(out, /Shutdown grace period over: cutting 1 requests/);
    assert.match(out, /Stopped: 2 records written, 0 queued, 0 dropped/);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await mock.close();
  }
  const exported = spawnSync(binary, ["export", "--format", "ndjson", "--db", env.KESTREL_DB!], { encoding: "utf8" });
  const outcomes = exported.stdout.trim().split("\n").map((l) => JSON.parse(l).outcome).sort();
  assert.deepEqual(outcomes, ["error", "ok"], exported.stdout + exported.stderr);
});
