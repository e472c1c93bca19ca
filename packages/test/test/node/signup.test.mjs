// The test kit under Node's own test runner:
//   node --import @durable-endpoints/test/register --test packages/test/test/node/
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { testEndpoint } from "@durable-endpoints/test";
import { ran, signup } from "./signup.mjs";

const EXPECTED = { user: { id: 1, email: "ann@example.com" }, sent: "welcome mail to ann@example.com" };

beforeEach(() => {
  for (const key of Object.keys(ran)) delete ran[key];
});

describe("signup under node:test", () => {
  it("is compiled by the register hook", () => {
    assert.equal(testEndpoint(signup).mode, "compiled");
  });

  it("sleeps a day without waiting for it", async () => {
    const t = testEndpoint(signup);
    const first = await t.request("/signup?email=ann@example.com");
    assert.equal(first.status, 303);
    await t.advance("1d");
    const done = await t.follow(first);
    assert.deepEqual(await done.json(), EXPECTED);
    assert.deepEqual(t.checkNoReplay(), { executions: 2, resumes: 1 });
  });

  for (const step of ["create-user", "wait-a-day", "send-welcome"]) {
    it(`crashes after "${step}" and resumes in a new process`, async () => {
      const t = testEndpoint(signup);
      t.crashAfter(step, { resume: true });
      await t.request("/signup?email=ann@example.com");
      await t.advance("1d");
      assert.deepEqual(await (await t.result()).json(), EXPECTED);
      assert.equal(t.process, 2);
      assert.deepEqual(ran, { "create-user": 1, "send-welcome": 1 });
      t.checkNoReplay();
    });
  }
});
