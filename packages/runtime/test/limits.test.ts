import { afterEach, describe, expect, test } from "vitest";
import { step } from "@durable-endpoints/runtime";
import { closeClients, req, testClient } from "./helpers.js";

afterEach(closeClients);

describe("limits", () => {
  test("maxSteps: the step past the limit fails the run with a clear error", async () => {
    const { inngest } = testClient({ maxSteps: 3 });
    let ran = 0;
    const handler = inngest.endpoint(async () => {
      for (let i = 0; i < 5; i++) await step.run("s", () => ++ran);
      return new Response("never");
    });
    const res = await handler(req("/api/many"));
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toMatch(/exceeded the limit of 3 steps \(maxSteps\)/);
  });

  test("maxStateBytes: an oversized step result is a clear error", async () => {
    const { inngest } = testClient({ maxStateBytes: 1000 });
    const handler = inngest.endpoint(async () => {
      await step.run("big", () => "x".repeat(2000));
      return new Response("never");
    });
    const res = await handler(req("/api/big"));
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toMatch(/the result of step "big" is \d+ bytes serialized, more than the limit of 1000/);
  });
});
