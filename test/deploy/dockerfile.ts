/** Reads deploy/Dockerfile the way Docker does, enough to check it and run its final stage's command. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../_helpers/runtime.ts";

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Instructions in order: comments dropped, `\` continuations joined, the op upper-cased. */
export function readDockerfile(path = join(ROOT, "deploy/Dockerfile")): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  let start = 0;
  readFileSync(path, "utf8").split("\n").forEach((raw, i) => {
    if (pending === "" && /^\s*(#|$)/.test(raw)) return;
    if (pending === "") start = i + 1;
    const continued = raw.endsWith("\\");
    pending += (continued ? raw.slice(0, -1) : raw) + " ";
    if (continued) return;
    const m = /^\s*(\w+)\s+(.*?)\s*$/.exec(pending)!;
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: start });
    pending = "";
  });
  return out;
}

/** The final stage: everything after the last FROM. */
export function finalStage(all: Instruction[]): Instruction[] {
  const from = all.map((i) => i.op).lastIndexOf("FROM");
  return all.slice(from);
}

/** `ENV A=1 B=2` (the only form used; quoting is not). */
export function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.filter((i) => i.op === "ENV")) {
    for (const pair of i.args.split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq < 1) throw new Error(`line ${i.line}: ENV ${pair} is not KEY=value`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** An exec-form (JSON array) argument; a shell-form one would need a shell the image does not have. */
export function execForm(i: Instruction | undefined, what: string): string[] {
  if (!i) throw new Error(`no ${what}`);
  const parsed: unknown = JSON.parse(i.args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`line ${i.line}: ${what} is not exec form`);
  return parsed as string[];
}
