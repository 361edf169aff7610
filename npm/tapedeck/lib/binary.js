// Finds the tapedeck executable: an explicit path, TAPEDECK_BIN (a binary built
// with cargo), or the binary of the platform package npm installed for this
// machine (the optionalDependencies pattern).
import { accessSync, constants, statSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Platform (`process.platform-process.arch`, glibc) → the package with its binary. */
export const PLATFORM_PACKAGES = { "linux-x64": "@tapedeck/cli-linux-x64" };

export class BinaryNotFound extends Error {
  constructor(message) {
    super(message);
    this.name = "BinaryNotFound";
  }
}

const BUILD_IT =
  "build it with a Rust toolchain (`cargo build --release` in a tapedeck checkout) " +
  "and set TAPEDECK_BIN to target/release/tapedeck";

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function platformKey() {
  const key = `${process.platform}-${process.arch}`;
  if (process.platform !== "linux") return key;
  // The Linux binary links glibc; on musl (Alpine) it cannot start.
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  return glibc ? key : `${key}-musl`;
}

/** The path of the tapedeck executable to run; throws BinaryNotFound saying what to do. */
export function findBinary(explicit) {
  for (const [source, value] of [
    ["bin", explicit],
    ["TAPEDECK_BIN", process.env.TAPEDECK_BIN],
  ]) {
    if (value) {
      if (!executable(value)) throw new BinaryNotFound(`tapedeck: ${source}=${value} is not an executable file`);
      return value;
    }
  }
  const key = platformKey();
  const pkg = PLATFORM_PACKAGES[key];
  if (!pkg) {
    throw new BinaryNotFound(
      `tapedeck: there is no prebuilt tapedeck binary for ${key} (prebuilt: ${Object.keys(PLATFORM_PACKAGES).join(", ")}); ${BUILD_IT}.`,
    );
  }
  let path;
  try {
    path = require.resolve(`${pkg}/bin/tapedeck`);
  } catch {
    throw new BinaryNotFound(
      `tapedeck: the package ${pkg}, which holds the binary for ${key}, is not installed ` +
        `(npm skips optional dependencies with --omit=optional); install it next to tapedeck, or ${BUILD_IT}.`,
    );
  }
  if (!executable(path)) throw new BinaryNotFound(`tapedeck: ${path} is not executable; reinstall ${pkg}`);
  return path;
}
