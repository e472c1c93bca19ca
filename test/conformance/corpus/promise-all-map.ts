import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";
import { probe } from "../probe.js";
import type { Scenario } from "../scenario.js";

const inngest = new Inngest({ id: "conformance", endpointAdapter });

export const handler = inngest.endpoint(async (req: Request) => {
  const ids = new URL(req.url).searchParams.getAll("id");
  probe("start");
  const users = await Promise.all(
    ids.map((id) =>
      step.run(`user-${id}`, () => {
        probe(`step:user-${id}`);
        return { id, name: id.toUpperCase() };
      }),
    ),
  );
  probe("fetched");
  const total = (await Promise.all(users.map((u) => step.run(`score-${u.id}`, () => {
    probe(`step:score-${u.id}`);
    return u.name.length;
  })))).reduce((s, n) => s + n, 0);
  probe("end");
  return Response.json({ users, total });
});

export const scenario: Scenario = { requests: [{ url: "/all-map?id=x&id=yy&id=zzz" }] };
