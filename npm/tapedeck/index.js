// The test helper: `startReplay()` runs `tapedeck replay` in a child process and
// resolves to a handle on it. The server picks a free loopback port and announces
// it as JSON (`--announce json`), so nothing races for a port; it shuts down when
// its standard input closes (`--exit-on-stdin-close`), and this process holds the
// other end of that pipe, so the server never outlives it, even after SIGKILL.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

import { BinaryNotFound, findBinary } from "./lib/binary.js";

export { BinaryNotFound, findBinary };

/** Requests matched no fixture or broke the recorded contract; `message` is tapedeck's readable report. */
export class TapedeckContractError extends Error {
  constructor(text, problems) {
    super(text);
    this.name = "TapedeckContractError";
    this.problems = problems;
  }
}

const ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER";
const MODES = ["none", "once", "new-episodes", "all"];
const LOG_KEPT = 64 * 1024;

function sources(fixtures) {
  const list = fixtures === undefined ? [] : Array.isArray(fixtures) ? fixtures : [fixtures];
  return list.map((f) => (String(f).startsWith("embedded:") ? String(f) : resolve(String(f))));
}

/** Environment for an AWS SDK: the endpoint, plus dummy credentials and region where none are set. */
function sdkEnvironment(url) {
  const env = { [ENDPOINT_VARIABLE]: url };
  if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
    env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
    env.AWS_SECRET_ACCESS_KEY = "tapedeck-test-secret";
  }
  if (!process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION) env.AWS_REGION = "us-east-1";
  return env;
}

class Replay {
  #child;
  #dir;
  #strict;
  #log = "";
  #stopping;

  constructor(child, dir, strict, announced, log) {
    this.#child = child;
    this.#dir = dir;
    this.#strict = strict;
    this.#log = log.text;
    log.sink = (text) => {
      this.#log = (this.#log + text).slice(-LOG_KEPT);
    };
    /** `http://127.0.0.1:<port>`: point an SDK at it. */
    this.url = announced.url;
    this.address = announced.address;
    this.pid = announced.pid;
    /** The endpoint variable, and dummy credentials and region where the environment has none. */
    this.env = sdkEnvironment(this.url);
  }

  /** What the server has logged (its stderr; the last 64 KiB). */
  log() {
    return this.#log;
  }

  async #admin(method, route) {
    let response;
    try {
      response = await fetch(`${this.url}/__tapedeck/${route}`, { method });
    } catch (e) {
      throw new Error(`tapedeck: ${method} ${this.url}/__tapedeck/${route} failed: ${e.cause?.message ?? e.message}; its log:\n${this.#log}`);
    }
    if (!response.ok) {
      throw new Error(`tapedeck: ${method} /__tapedeck/${route} answered ${response.status}: ${await response.text()}`);
    }
    return response;
  }

  /** Every request since the last reset: `{ totals, entries }`. */
  async journal() {
    return (await this.#admin("GET", "journal")).json();
  }

  /** Rewinds the sequences and starts a new journal window. */
  async reset() {
    await (await this.#admin("POST", "reset")).arrayBuffer();
  }

  /** The requests since the last reset as tapedeck's readable report. */
  async readable() {
    const response = await this.#admin("GET", "journal?format=text");
    return { problems: Number(response.headers.get("x-tapedeck-problems") ?? 0), text: await response.text() };
  }

  /** Rejects with TapedeckContractError (the readable report) if any request since the last reset matched no fixture or broke the contract. */
  async assertClean() {
    const { problems, text } = await this.readable();
    if (problems > 0) throw new TapedeckContractError(text, problems);
  }

  /** SIGTERM; resolves to the report the server wrote. With `strict`, rejects with TapedeckContractError if the run was not clean. */
  stop() {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop() {
    const child = this.#child;
    const running = child.exitCode === null && child.signalCode === null;
    let readable;
    if (this.#strict && running) readable = await this.readable().catch(() => undefined);
    child.ref(); // keep this process alive until the server is gone
    const exited = running
      ? new Promise((done) => child.once("exit", (code, signal) => done([code, signal])))
      : Promise.resolve([child.exitCode, child.signalCode]);
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [code, signal] = await exited;
    clearTimeout(killer);
    child.stdin.destroy();
    let report;
    try {
      report = JSON.parse(await readFile(join(this.#dir, "report.json"), "utf8"));
    } catch {
      throw new Error(`tapedeck replay exited with ${code ?? signal} without writing its report; its log:\n${this.#log}`);
    } finally {
      await rm(this.#dir, { recursive: true, force: true });
    }
    if (code !== 0 && code !== 1) throw new Error(`tapedeck replay exited with ${code ?? signal}; its log:\n${this.#log}`);
    if (this.#strict && !report.clean) {
      if (readable?.problems) throw new TapedeckContractError(readable.text, readable.problems);
      const t = report.totals;
      throw new TapedeckContractError(
        `tapedeck: ${t.unmatched} request(s) matched no fixture and ${t.with_violations} broke the contract in this run`,
        t.unmatched + t.with_violations,
      );
    }
    return report;
  }
}

/**
 * Starts `tapedeck replay` on 127.0.0.1 at a port it picks, and resolves once it
 * answers.
 * @param {import("./index.js").ReplayOptions} [options]
 */
export async function startReplay(options = {}) {
  const { strict = false, sequenceEnd, mode, upstream, verifySignature, bin, args = [], startupTimeoutMs = 30_000, env = {} } = options;
  if (sequenceEnd !== undefined && sequenceEnd !== "repeat-last" && sequenceEnd !== "error") {
    throw new TypeError(`tapedeck: sequenceEnd must be "repeat-last" or "error", not ${JSON.stringify(sequenceEnd)}`);
  }
  if (mode !== undefined && !MODES.includes(mode)) {
    throw new TypeError(`tapedeck: mode must be one of ${MODES.join(", ")}, not ${JSON.stringify(mode)}`);
  }
  const binary = findBinary(bin);
  const dir = await mkdtemp(join(tmpdir(), "tapedeck-"));
  const argv = ["replay", "--listen", "127.0.0.1:0", "--announce", "json", "--exit-on-stdin-close"];
  argv.push("--report", join(dir, "report.json"));
  for (const source of sources(options.fixtures)) argv.push("--fixtures", source);
  if (sequenceEnd) argv.push("--sequence-end", sequenceEnd);
  if (mode) argv.push("--mode", mode);
  if (upstream) argv.push("--upstream", String(upstream));
  if (strict) argv.push("--strict");
  argv.push(...args);
  const childEnv = { ...process.env, NO_COLOR: "1", ...env };
  if (verifySignature) childEnv.TAPEDECK_VERIFY_SIGNATURE = verifySignature; // never on the command line
  const child = spawn(binary, argv, { stdio: ["pipe", "pipe", "pipe"], env: childEnv });

  const log = { text: "", sink: null };
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text) => {
    if (log.sink) log.sink(text);
    else log.text = (log.text + text).slice(-LOG_KEPT);
  });
  let announced;
  try {
    announced = await new Promise((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`tapedeck replay did not announce its address within ${startupTimeoutMs} ms; its log:\n${log.text}`)),
        startupTimeoutMs,
      );
      const lines = createInterface({ input: child.stdout }); // read to the end: stdout never blocks the server
      lines.once("line", (line) => {
        clearTimeout(timer);
        try {
          done(JSON.parse(line));
        } catch {
          fail(new Error(`tapedeck replay announced ${JSON.stringify(line)}, not JSON; is the binary too old?`));
        }
      });
      child.once("error", (e) => {
        clearTimeout(timer);
        fail(new Error(`tapedeck: cannot run ${binary}: ${e.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        // Let the last of stderr arrive before quoting it.
        setImmediate(() => fail(new Error(`tapedeck replay exited with ${code ?? signal} before listening; its log:\n${log.text}`)));
      });
    });
  } catch (e) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const server = new Replay(child, dir, strict, announced, log);
  try {
    await server.journal(); // it answers
  } catch (e) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  // A test file that never calls stop() can still end: the server follows this
  // process when its end of the stdin pipe closes.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream.unref?.();
  return server;
}
