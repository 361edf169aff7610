// @ts-check
// Contract tests of the example application against tapedeck's reference contract.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";

import { startReplay, TapedeckContractError } from "tapedeck";

import { forgetDevice } from "../src/devices.js";

const device = {
  userPoolId: "us-east-1_TapeDeck1",
  username: "tapedeck-user",
  deviceKey: "us-east-1_0a1b2c3d-0000-4000-8000-000000000001",
};

/** @type {import("tapedeck").ReplayServer} */
let server;

before(async () => {
  server = await startReplay();
  // The endpoint, and dummy credentials and region where none are set.
  Object.assign(process.env, server.env);
});
beforeEach(() => server.reset());
after(() => server.stop());

test("forgetting a remembered device, then forgetting it again", async () => {
  assert.equal(await forgetDevice(device), "forgotten");
  assert.equal(await forgetDevice(device), "ResourceNotFoundException");
  await server.assertClean();
});

test("the next test starts the sequence afresh", async () => {
  assert.equal(await forgetDevice(device), "forgotten");
  await server.assertClean();
});

test("an unknown user", async () => {
  assert.equal(await forgetDevice({ ...device, username: "tapedeck-ghost" }), "UserNotFoundException");
  await server.assertClean();
});

test("an off-contract call: assertClean names the nearest fixture and field; reset clears it", async () => {
  // The application swallows the error: only tapedeck notices.
  assert.equal(await forgetDevice({ ...device, username: "tapedeck-ghosty" }), "TapedeckNoMatch");
  await assert.rejects(server.assertClean(), (err) => {
    assert.ok(err instanceof TapedeckContractError);
    assert.equal(err.problems, 1);
    assert.match(err.message, /^tapedeck: 1 of 1 request matched no fixture or broke the recorded contract\n/);
    assert.match(err.message, /nearest fixture: 'unknown-user' \(1 field differs\)\n/);
    assert.match(err.message, /\n {4}\/Username\n {6}expected: "tapedeck-ghost"\n {6}got: {6}‹sensitive UsernameType, 15 characters›\n/);
    assert.doesNotMatch(err.message, /ghosty/);
    return true;
  });
  await server.reset();
  await server.assertClean();
});
