import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  let page = 0;
  const rows: string[] = [];
  probe("start");
  while (true) {
    const batch = await step.run(`page-${page}`, () => {
      probe(`step:page-${page}`);
      return page < 2 ? [`r${page}a`, `r${page}b`] : [];
    });
    if (batch.length === 0) break;
    rows.push(...batch);
    page++;
    probe(`page-${page}`);
  }
  probe("end");
  return Response.json({ rows, pages: page });
});

export const scenario: Scenario = { requests: [{ url: "/pages" }] };
