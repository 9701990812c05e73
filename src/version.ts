/** @module Kestrel's version: package.json's, plus the git commit that `build.ts` stamps into binaries. */
import pkg from "../package.json" with { type: "json" };

declare const KESTREL_COMMIT: string | undefined;

/** `0.1.0+abc1234` in a built binary, `0.1.0+source` when run from source. */
export const VERSION = `${pkg.version}+${typeof KESTREL_COMMIT === "string" ? KESTREL_COMMIT : "source"}`;

/** For `kestrel_build_info`: the package version and the commit apart ("unknown" when run from source). */
export const PACKAGE_VERSION: string = pkg.version;
export const COMMIT = typeof KESTREL_COMMIT === "string" ? KESTREL_COMMIT : "unknown";
