/**
 * @module Finds the budgets (or rate limits) whose scope matches a request without scanning them all: items are
 * grouped by the set of scope keys they name, and each group is a tree of Maps keyed by attribute values in
 * scope-table order (`tag` last, tried once per distinct request tag). A lookup costs one Map get per named key
 * per group (at most 64 groups), and allocates nothing. A request whose model is unknown (`model_known` false)
 * matches every model-scoped item: spend control cannot tell which applies, so it checks them all.
 */
import type { Attributes } from "../attributes/attributes.ts";
import { attributeOf, type Scope, SCOPE_KEYS, type ScopeKey } from "../attributes/scopes.ts";

/** A tree level: attribute value → next level, or the matching items at the last level. */
type Level<T> = Map<string, Level<T>> | T[];

interface Group<T> {
  keys: ScopeKey[];
  root: Level<T>;
}

export class ScopeIndex<T> {
  private readonly groups: Group<T>[] = [];
  private readonly byMask = new Map<number, Group<T>>();
  /** Reused result: valid until the next `match`. */
  private readonly found: T[] = [];
  private count = 0;

  constructor(items: readonly T[], private readonly scopeOf: (item: T) => Scope) {
    for (const item of items) this.add(item);
  }

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    const scope = this.scopeOf(item);
    const keys = SCOPE_KEYS.filter((k) => scope[k] !== undefined);
    const mask = keys.reduce((m, k) => m | (1 << SCOPE_KEYS.indexOf(k)), 0);
    let group = this.byMask.get(mask);
    if (group === undefined) {
      group = { keys, root: keys.length === 0 ? [] : new Map() };
      this.byMask.set(mask, group);
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
    this.count++;
  }

  /** Removes `item` (found by its scope, compared by identity); false when it was not there. */
  remove(item: T): boolean {
    const scope = this.scopeOf(item);
    const keys = SCOPE_KEYS.filter((k) => scope[k] !== undefined);
    const mask = keys.reduce((m, k) => m | (1 << SCOPE_KEYS.indexOf(k)), 0);
    let level: Level<T> | undefined = this.byMask.get(mask)?.root;
    for (let depth = 0; depth < keys.length && level !== undefined; depth++) {
      level = (level as Map<string, Level<T>>).get(scope[keys[depth]!]!);
    }
    if (level === undefined) return false;
    const items = level as T[];
    const at = items.indexOf(item);
    if (at < 0) return false;
    items.splice(at, 1);
    this.count--;
    return true;
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
    if (key === "model" && !attrs.model_known) {
      for (const next of map.values()) this.visit(next, keys, depth + 1, attrs);
      return;
    }
    const value = attributeOf(attrs, key);
    if (value === null) return;
    const next = map.get(value);
    if (next !== undefined) this.visit(next, keys, depth + 1, attrs);
  }
}
