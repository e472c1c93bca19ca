/** The kit re-hosts an endpoint with its own options: a concurrency limit and its key function come along. */

import { describe, expect, it } from "vitest";
import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { testEndpoint } from "@durable-endpoints/test";

const inngest = new Inngest({ id: "kit-concurrency", endpointAdapter });

const perUser = inngest.endpoint(
  async (req: Request) => {
    await step.sleep("nap", "1m");
    return new Response(`done ${new URL(req.url).searchParams.get("user")}`);
  },
  { concurrency: { limit: 1, key: (req) => new URL(req.url).searchParams.get("user") ?? "" } },
);

const keyless = inngest.endpoint(async () => new Response("never"), {
  concurrency: {
    limit: 1,
    key: () => {
      throw new Error("no user header");
    },
  },
});

describe("concurrency options in the kit", () => {
  it("a run under a limit sleeps and completes on virtual time", async () => {
    const t = testEndpoint(perUser);
    const first = await t.request("/jobs?user=ann");
    expect(first.status).toBe(303);
    await t.advance("1m");
    expect(await (await t.follow(first)).text()).toBe("done ann");
  });

  it("its key function runs in the kit: one that throws is a 500 naming the endpoint", async () => {
    const t = testEndpoint(keyless);
    const res = await t.request("/jobs");
    expect(res.status).toBe(500);
    expect((await res.json()).error.message).toMatch(/^The concurrency key function of endpoint ".*" threw: no user header$/);
  });
});
