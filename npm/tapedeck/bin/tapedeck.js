#!/usr/bin/env node
// `npx tapedeck …`: runs the tapedeck binary for this platform with the same
// arguments, standard streams and exit status; forwards SIGINT, SIGTERM, SIGHUP.
import { spawn } from "node:child_process";
import { BinaryNotFound, findBinary } from "../lib/binary.js";

let bin;
try {
  bin = findBinary();
} catch (e) {
  if (!(e instanceof BinaryNotFound)) throw e;
  console.error(e.message);
  process.exit(2);
}
const child = spawn(bin, process.argv.slice(2), { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (e) => {
  console.error(`tapedeck: cannot run ${bin}: ${e.message}`);
  process.exit(2);
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
