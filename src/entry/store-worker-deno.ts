/** @module The store worker on Deno (started by deno.ts): the store's writes through node:sqlite, off the event loop. */
import { hostStore } from "../store/worker/host.ts";
import type { Port } from "../store/worker/protocol.ts";
import { openSqlite } from "./sqlite-node.ts";

hostStore(globalThis as unknown as Port, openSqlite);
