#!/usr/bin/env node
// The AWS SDK for JavaScript v3 against `tapedeck replay --strict`: every fixture of a
// set through @aws-sdk/client-cognito-identity-provider's AdminForgetDeviceCommand,
// with the SDK's default retry configuration.
//
// Usage: node scripts/clients/js/runner.mjs [--bin target/debug/tapedeck] [--fixtures DIR]...
//
// Prints the same JSON lines as the Python and Rust runners (scripts/clients/common.py
// documents the protocol); exits 1 on a failure.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import {
  AdminForgetDeviceCommand,
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
} from "@aws-sdk/client-cognito-identity-provider";

const CLIENT = "js-sdk-v3";
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../../..");
const ENDPOINT_ENV = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER";
// Settings from the caller's environment that would change what the SDK does: every
// AWS_* variable (a profile, AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, ...) and the proxies.
const PROXIES = ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"];
const scrubbed = (name) => name.startsWith("AWS_") || PROXIES.includes(name);

const emit = (record) => process.stdout.write(JSON.stringify(record) + "\n");

// ---- fixtures ---------------------------------------------------------------

function loadSet(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && f !== "tapedeck-set.json")
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
}

function responseJson(fixture) {
  const r = fixture.response;
  if ("body" in r) return r.body;
  let raw = null;
  if (r.body_text != null) raw = r.body_text;
  else if (r.body_base64 != null) raw = Buffer.from(r.body_base64, "base64").toString("utf8");
  if (raw == null) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

const sanitize = (raw) => raw.split(",")[0].split(":")[0].split("#").pop().trim();

function expectedOutcome(fixture) {
  const body = responseJson(fixture);
  if (body && typeof body === "object" && typeof body.__type === "string" && sanitize(body.__type)) {
    return sanitize(body.__type);
  }
  const status = fixture.response.status;
  return status < 300 ? "success" : `HTTP ${status}`;
}

function params(fixture) {
  let body = fixture.request.body;
  if (body === undefined && fixture.request.body_text != null) body = JSON.parse(fixture.request.body_text);
  body = body || {};
  const out = {};
  for (const k of ["UserPoolId", "Username", "DeviceKey"]) if (k in body) out[k] = body[k];
  return out;
}

// `sent`: the SDK's own account (false: refused before sending); `transport`: an error
// that came from no response; `attempts`: what the server saw.
function verdict(fixture, expected, sent, code, transport, attempts) {
  if (!sent) return (fixture.expected_violations || []).length && attempts === 0 ? "skip" : "fail";
  if (transport || attempts === 0) return "fail";
  if (expected === "success") return code == null ? "pass" : "fail";
  if (expected.startsWith("HTTP ")) return code != null ? "pass" : "fail";
  return code === expected ? "pass" : "fail";
}

// ---- the replay server ------------------------------------------------------

class Replay {
  static async start(bin, fixtures) {
    const tmp = mkdtempSync(join(tmpdir(), "tapedeck-js-sdk-"));
    const report = join(tmp, "replay-report.json");
    const child = spawn(bin, ["replay", "--listen", "127.0.0.1:0", "--strict", "--fixtures", fixtures, "--report", report], {
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    const exited = new Promise((res) => child.on("exit", (code, signal) => res(code ?? (signal ? 128 : -1))));
    const lines = createInterface({ input: child.stdout });
    const first = await Promise.race([
      new Promise((res) => lines.once("line", res)),
      new Promise((res) => setTimeout(() => res(""), 30_000)),
      exited.then(() => ""),
    ]);
    const url = first.split(/\s+/).find((w) => w.startsWith("http://"))?.replace(/[;,]$/, "");
    if (!url) {
      child.kill("SIGKILL");
      throw new Error(`tapedeck replay did not start: ${JSON.stringify(first)}`);
    }
    lines.on("line", () => {}); // keep draining stdout
    return Object.assign(new Replay(), { child, exited, url, tmp, report });
  }

  async admin(route, method = "GET") {
    const res = await fetch(`${this.url}/__tapedeck/${route}`, { method, signal: AbortSignal.timeout(10_000) });
    return res.json();
  }

  rewind() {
    return this.admin("reset?only=sequences", "POST");
  }

  async requests() {
    return (await this.admin("journal")).totals.requests;
  }

  async entriesAfter(n) {
    return (await this.admin("journal")).entries.filter((e) => e.n > n);
  }

  // SIGTERM, wait, and read the report: the server's verdict on this client.
  async stop() {
    this.child.kill("SIGTERM");
    let code = await Promise.race([this.exited, new Promise((res) => setTimeout(() => res(null), 30_000))]);
    if (code === null) {
      this.child.kill("SIGKILL");
      code = await this.exited;
    }
    let report;
    try {
      report = JSON.parse(readFileSync(this.report, "utf8"));
    } catch (e) {
      return { exit: code, clean: false, requests: 0, problems: [`no report: ${e.message}`] };
    } finally {
      rmSync(this.tmp, { recursive: true, force: true });
    }
    const problems = report.entries.filter((e) => e.violations.length || e.outcome !== "matched");
    return { exit: code, clean: report.clean === true && code === 0, requests: report.totals.requests, problems };
  }
}

// ---- the SDK ----------------------------------------------------------------

// Points the SDK at the server through the environment, as an application would.
function setClientEnv(url) {
  for (const name of Object.keys(process.env)) if (scrubbed(name)) delete process.env[name];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "AKIDTAPEDECKCLIENT",
    AWS_SECRET_ACCESS_KEY: "tapedeck-client-test-secret",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    [ENDPOINT_ENV]: url,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  });
}

// One AdminForgetDevice through a fresh client: credentials, region and endpoint from
// the environment, the default retry strategy. Only timeouts are set.
async function call(p) {
  const client = new CognitoIdentityProviderClient({
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 },
  });
  try {
    await client.send(new AdminForgetDeviceCommand(p), { abortSignal: AbortSignal.timeout(90_000) });
    return { sent: true, code: null, surfaced: "success", detail: "", transport: false };
  } catch (e) {
    // The SDK v3 validates nothing before sending for this operation, so every error
    // is either about the answer or about getting one (transport: no HTTP status).
    const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
    const transport = status === undefined;
    if (e instanceof CognitoIdentityProviderServiceException) {
      // A modelled exception has its own class; any other code gets the service's base
      // class, with the code as its name.
      const cls = e.constructor?.name || "Error";
      const surfaced = cls === e.name ? e.name : `${cls}[${e.name}]`;
      return { sent: true, code: e.name, surfaced, detail: e.message || "", transport };
    }
    const name = e.name || "Error";
    return { sent: true, code: name, surfaced: name, detail: String(e.message || e), transport };
  } finally {
    client.destroy();
  }
}

// ---- main -------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { bin: process.env.TAPEDECK_BIN || join(ROOT, "target/debug/tapedeck"), fixtures: [] };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === "--bin" && argv[i + 1]) opts.bin = argv[i + 1];
    else if (argv[i] === "--fixtures" && argv[i + 1]) opts.fixtures.push(argv[i + 1]);
    else {
      console.error("usage: runner.mjs [--bin PATH] [--fixtures DIR]...");
      process.exit(2);
    }
  }
  if (!opts.fixtures.length) opts.fixtures.push(join(ROOT, "fixtures/admin-forget-device/reference"));
  return opts;
}

async function runSet(bin, dir) {
  const set = basename(resolve(dir));
  const fixtures = loadSet(dir);
  if (!fixtures.length) throw new Error(`no fixtures under ${dir}`);
  const server = await Replay.start(bin, dir);
  setClientEnv(server.url);
  let ok = true;
  try {
    for (const fixture of fixtures) {
      await server.rewind();
      const p = params(fixture);
      for (let i = 1; i < (fixture.sequence || 1); i++) await call(p);
      const before = await server.requests();
      const started = performance.now();
      const called = await call(p);
      const seconds = Math.round((performance.now() - started) / 10) / 100;
      const entries = await server.entriesAfter(before);
      const expected = expectedOutcome(fixture);
      let result = verdict(fixture, expected, called.sent, called.code, called.transport, entries.length);
      let detail = called.detail;
      if (result === "fail" && called.sent && !entries.length) detail = `nothing reached the server; ${detail}`;
      const strays = entries.filter((e) => e.fixture !== fixture.id).map((e) => e.fixture || e.outcome);
      if (strays.length && result === "pass") {
        result = "fail";
        detail = `answered by ${JSON.stringify(strays)} instead of ${fixture.id}; ${detail}`;
      }
      ok &&= result !== "fail";
      emit({
        kind: "result", client: CLIENT, set, fixture: fixture.id, expected, surfaced: called.surfaced,
        code: called.code, sent: called.sent, transport: called.transport, attempts: entries.length, seconds, result, detail,
      });
      console.error(`${result.padEnd(4)}  ${CLIENT} ${set}/${fixture.id}: expected ${expected}, surfaced ${called.surfaced} after ${entries.length} attempt(s)`);
    }
  } finally {
    const v = await server.stop();
    console.error(`${v.clean ? "ok  " : "FAIL"}  ${CLIENT} ${set}: replay --strict exited ${v.exit}, ${v.requests} requests, ${v.problems.length} broke the contract`);
    emit({ kind: "server", client: CLIENT, set, ...v });
    ok &&= v.clean;
  }
  return ok;
}

const opts = parseArgs(process.argv.slice(2));
const require = createRequire(import.meta.url);
const pkg = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
emit({
  kind: "client", client: CLIENT, versions: {
    "@aws-sdk/client-cognito-identity-provider": pkg("@aws-sdk/client-cognito-identity-provider"),
    node: process.versions.node, retry_mode: "default",
  },
});
let ok = true;
for (const dir of opts.fixtures) {
  try {
    ok = (await runSet(opts.bin, dir)) && ok;
  } catch (e) {
    console.error(`${CLIENT}: ${e.stack || e}`);
    ok = false;
  }
}
process.exit(ok ? 0 : 1);
