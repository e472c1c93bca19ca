// A durable endpoint in plain JavaScript, compiled at load time by `--import @durable-endpoints/test/register`.
import { Inngest, step } from "@durable-endpoints/runtime";
import { endpointAdapter } from "@durable-endpoints/runtime/edge";

const inngest = new Inngest({ id: "node-test-example", endpointAdapter });

/** Step bodies that ran, by step id. */
export const ran = {};
const body = (id) => (ran[id] = (ran[id] ?? 0) + 1);

export const signup = inngest.endpoint(async (req) => {
  const email = new URL(req.url).searchParams.get("email");
  const user = await step.run("create-user", () => (body("create-user"), { id: 1, email }));
  await step.sleep("wait-a-day", "1d");
  const sent = await step.run("send-welcome", () => (body("send-welcome"), `welcome mail to ${user.email}`));
  return Response.json({ user, sent });
});
