/**
 * @module Finds the budgets (or rate limits) whose scope matches a request without scanning them all: items are
 * grouped by the set of scope keys they name, and each group is a tree of Maps keyed by attribute values in
 * SCOPE_KEYS order (`tag` last, tried once per distinct request tag). A lookup costs one Map get per named key
 * per group (at most 64 groups), and allocates nothing.
 */
import { type Attributes, type Scope, SCOPE_KEYS, type ScopeKey } from "./types.ts";

/** A tree level: attribute value → next level, or the matching items at the last level. */
type Level<T> = Map<string, Level<T>> | T[];

interface Group<T> {
  keys: ScopeKey[];
  root: Level<T>;
}

export class ScopeIndex<T> {
  readonly size: number;
  private readonly groups: Group<T>[] = [];
  /** Reused result: valid until the next `match`. */
  private readonly found: T[] = [];

  constructor(items: readonly T[], scopeOf: (item: T) => Scope) {
    this.size = items.length;
    const byMask = new Map<number, Group<T>>();
    for (const item of items) {
      const scope = scopeOf(item);
      const keys = SCOPE_KEYS.filter((k) => scope[k] !== undefined);
      const mask = keys.reduce((m, k) => m | (1 << SCOPE_KEYS.indexOf(k)), 0);
      let group = byMask.get(mask);
      if (group === undefined) {
        group = { keys, root: keys.length === 0 ? [] : new Map() };
        byMask.set(mask, group);
        this.groups.push(group);
      }
      let level = group.root;
      for (let depth = 0; depth < keys.length; depth++) {
        const map = level as Map<string, Level<T>>;
        const value = scope[keys[depth]!]!;
        let next = map.get(value);
        if (next === undefined) {
          next = depth === keys.length - 1 ? [] : new Map();
          map.set(value, next);
        }
        level = next;
      }
      (level as T[]).push(item);
    }
  }

  /** The items whose scope matches `attrs`, in a reused array (copy it to keep it past the next call). */
  match(attrs: Attributes): readonly T[] {
    const found = this.found;
    found.length = 0;
    for (let g = 0; g < this.groups.length; g++) {
      const group = this.groups[g]!;
      this.visit(group.root, group.keys, 0, attrs);
    }
    return found;
  }

  private visit(level: Level<T>, keys: ScopeKey[], depth: number, attrs: Attributes): void {
    if (depth === keys.length) {
      const items = level as T[];
      for (let i = 0; i < items.length; i++) this.found.push(items[i]!);
      return;
    }
    const map = level as Map<string, Level<T>>;
    const key = keys[depth]!;
    if (key === "tag") {
      const tags = attrs.tags;
      for (let t = 0; t < tags.length; t++) {
        const tag = tags[t]!;
        if (tags.indexOf(tag) !== t) continue; // a repeated tag matches once
        const next = map.get(tag);
        if (next !== undefined) this.visit(next, keys, depth + 1, attrs);
      }
      return;
    }
    const value = attrs[key];
    if (value === null) return;
    const next = map.get(value);
    if (next !== undefined) this.visit(next, keys, depth + 1, attrs);
  }
}
