import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

const inngest = new Inngest({ id: "next-app", endpointAdapter });

export const dynamic = "force-dynamic";

// GET /api/trace — a stack trace taken inside the compiled handler, after a step.
export const GET = inngest.endpoint(async (): Promise<Response> => {
  const where = await step.run("locate", () => "after-step");
  const stack = new Error(`trace ${where}`).stack; // TRACE-MARKER: tests expect this line in the stack
  return Response.json({ stack });
});
