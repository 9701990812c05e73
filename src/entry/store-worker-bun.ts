/** @module The store worker on Bun (started by bun.ts): the store's writes through bun:sqlite, off the event loop. */
import { hostStore } from "../store/worker/host.ts";
import type { Port } from "../store/worker/protocol.ts";
import { openSqlite } from "./sqlite-bun.ts";

hostStore(globalThis as unknown as Port, openSqlite);
