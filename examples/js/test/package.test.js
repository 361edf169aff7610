// @ts-check
// The npm package's own promises: `npx tapedeck` runs the CLI, a platform without
// a prebuilt binary is told so and TAPEDECK_BIN works, options reach the server,
// strict stop() rejects, and no server outlives stop() or its SIGKILLed parent.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";

import { BinaryNotFound, findBinary, startReplay, TapedeckContractError } from "tapedeck";

const run = promisify(execFile);
const here = fileURLToPath(new URL("..", import.meta.url));
const version = JSON.parse(readFileSync(new URL("../node_modules/tapedeck/package.json", import.meta.url), "utf8")).version;
const target = "AWSCognitoIdentityProviderService.AdminForgetDevice";

/** @param {string} url @param {string} username */
async function forget(url, username) {
  const body = JSON.stringify({
    UserPoolId: "us-east-1_TapeDeck1",
    Username: username,
    DeviceKey: "us-east-1_0a1b2c3d-0000-4000-8000-000000000001",
  });
  const headers = { "content-type": "application/x-amz-json-1.1", "x-amz-target": target };
  const response = await fetch(url, { method: "POST", headers, body });
  await response.arrayBuffer();
  return response;
}

/** Running, and not a zombie. @param {number} pid */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** @param {number} pid @param {number} ms */
async function goneWithin(pid, ms) {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

test("npx tapedeck runs the platform package's binary", async () => {
  const env = { ...process.env };
  delete env.TAPEDECK_BIN;
  const { stdout } = await run("npx", ["--no-install", "tapedeck", "--version"], { cwd: here, env });
  assert.equal(stdout, `tapedeck ${version}\n`);
  assert.match(findBinary(), /node_modules\/@tapedeck\/cli-linux-x64\/bin\/tapedeck$/);
});

test("without a prebuilt binary the shim says so, and TAPEDECK_BIN still works", async () => {
  const shim = `${here}node_modules/tapedeck/bin/tapedeck.js`;
  const elsewhere = `${here}support/pretend-freebsd.cjs`;
  const env = { ...process.env };
  delete env.TAPEDECK_BIN;
  await assert.rejects(run(process.execPath, ["--require", elsewhere, shim, "--version"], { env }), (err) => {
    assert.equal(/** @type {any} */ (err).code, 2);
    assert.match(/** @type {any} */ (err).stderr, /there is no prebuilt tapedeck binary for freebsd-x64 \(prebuilt: linux-x64\)/);
    assert.match(/** @type {any} */ (err).stderr, /set TAPEDECK_BIN to target\/release\/tapedeck/);
    return true;
  });
  const { stdout } = await run(process.execPath, ["--require", elsewhere, shim, "--version"], {
    env: { ...env, TAPEDECK_BIN: findBinary() },
  });
  assert.equal(stdout, `tapedeck ${version}\n`);
});

test("a bad TAPEDECK_BIN is named", async () => {
  const saved = process.env.TAPEDECK_BIN;
  process.env.TAPEDECK_BIN = "/nonexistent/tapedeck";
  try {
    await assert.rejects(startReplay(), (err) => {
      assert.ok(err instanceof BinaryNotFound);
      assert.match(err.message, /TAPEDECK_BIN=\/nonexistent\/tapedeck is not an executable file/);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.TAPEDECK_BIN;
    else process.env.TAPEDECK_BIN = saved;
  }
});

test("fixtures and sequenceEnd reach the server; stop() resolves to the report and the process is gone", async () => {
  const server = await startReplay({ fixtures: ["embedded:reference"], sequenceEnd: "error" });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await forget(server.url, "tapedeck-user")).status);
  assert.deepEqual(statuses, [200, 400, 404]);
  const journal = await server.journal();
  assert.equal(journal.entries.at(-1)?.outcome, "exhausted");
  const report = await server.stop();
  assert.equal(report.tool, `tapedeck ${version}`);
  assert.equal(report.clean, false);
  assert.equal(alive(server.pid), false);
  assert.equal(await server.stop(), report, "stop() again: the same report");
});

/** An awsJson endpoint on 127.0.0.1 answering every request with UserNotFoundException, counting them. */
async function fakeUpstream() {
  const upstream = { requests: 0, url: "", close: () => {} };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      upstream.requests += 1;
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "UserNotFoundException:" });
      res.end('{"__type":"UserNotFoundException","message":"User does not exist."}');
    });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", () => done(undefined)));
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  upstream.url = `http://127.0.0.1:${address.port}`;
  upstream.close = () => server.close();
  return upstream;
}

test("mode and upstream reach the server: new-episodes records and serves what it recorded", async () => {
  const upstream = await fakeUpstream();
  const cassette = mkdtempSync(join(tmpdir(), "tapedeck-cassette-"));
  try {
    // Recording here is deliberate: CI must not stop it; the fake checks no signature.
    const recording = { env: { CI: "" }, args: ["--no-resign"] };
    const server = await startReplay({ fixtures: cassette, mode: "new-episodes", upstream: upstream.url, ...recording });
    for (let i = 0; i < 3; i++) assert.equal((await forget(server.url, "tapedeck-newcomer")).status, 400);
    const outcomes = (await server.journal()).entries.map((e) => e.outcome);
    assert.deepEqual(outcomes, ["forwarded", "matched", "matched"]);
    await server.stop();
    assert.equal(upstream.requests, 1);
    assert.equal(readdirSync(cassette).length, 1);

    // once: the set exists now, so it is replayed, even in CI.
    const again = await startReplay({ fixtures: cassette, mode: "once", upstream: upstream.url, env: { CI: "true" } });
    assert.equal((await forget(again.url, "tapedeck-newcomer")).status, 400);
    assert.deepEqual((await again.journal()).entries.map((e) => e.outcome), ["matched"]);
    await again.stop();
    assert.equal(upstream.requests, 1);

    // A run that would record is refused when CI is set.
    await assert.rejects(
      startReplay({ fixtures: join(cassette, "missing"), mode: "once", upstream: upstream.url, env: { CI: "true" } }),
      /exited with 2 before listening; its log:\n.*CI is set: .*--allow-record-in-ci/s,
    );
    await assert.rejects(startReplay({ mode: /** @type {any} */ ("record") }), /mode must be one of none, once, new-episodes, all/);
  } finally {
    upstream.close();
    rmSync(cassette, { recursive: true, force: true });
  }
});

test("strict: stop() rejects with the readable report", async () => {
  const server = await startReplay({ strict: true });
  assert.equal((await forget(server.url, "tapedeck-ghosty")).status, 404);
  await assert.rejects(server.stop(), (err) => {
    assert.ok(err instanceof TapedeckContractError);
    assert.match(err.message, /nearest fixture: 'unknown-user'/);
    return true;
  });
  assert.equal(alive(server.pid), false);
});

test("strict: a reset does not make a dirty run clean", async () => {
  const server = await startReplay({ strict: true });
  assert.equal((await forget(server.url, "tapedeck-ghosty")).status, 404);
  await server.reset();
  await server.assertClean(); // the window is clean again; the run is not
  assert.equal((await server.journal()).run.unmatched, 1);
  await assert.rejects(server.stop(), (err) => {
    assert.ok(err instanceof TapedeckContractError);
    assert.match(err.message, /1 request\(s\) matched no fixture/);
    return true;
  });
});

test("a server that cannot start rejects with its log", async () => {
  await assert.rejects(startReplay({ fixtures: "/nonexistent/fixtures" }), /exited with 2 before listening; its log:\n.*\/nonexistent\/fixtures/s);
});

test("the server dies with its process, even on SIGKILL", async () => {
  const holder = spawn(process.execPath, [`${here}support/hold-server.js`], { stdio: ["ignore", "pipe", "inherit"] });
  const pid = await new Promise((done, fail) => {
    holder.stdout.setEncoding("utf8");
    holder.stdout.once("data", (line) => done(Number(String(line).trim())));
    holder.once("exit", (code) => fail(new Error(`the holder exited with ${code}`)));
  });
  assert.ok(alive(pid), "the server runs");
  holder.kill("SIGKILL");
  assert.ok(await goneWithin(pid, 10_000), `tapedeck replay ${pid} outlived its SIGKILLed parent`);
});

test("the temporary directory is removed at stop", async () => {
  const server = await startReplay();
  const dirs = readFileSync(`/proc/${server.pid}/cmdline`, "utf8").split("\0");
  const report = dirs[dirs.indexOf("--report") + 1];
  assert.ok(existsSync(report.replace(/report\.json$/, "")));
  await server.stop();
  assert.ok(!existsSync(report.replace(/report\.json$/, "")));
});
