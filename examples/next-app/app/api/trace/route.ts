import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";
import { inspect } from "node:util";

const inngest = new Inngest({ id: "next-app", endpointAdapter });

export const dynamic = "force-dynamic";

// GET /api/trace — a stack trace taken inside the compiled handler, after a step. Next.js keeps
// `error.stack` unmapped and applies the server source maps when an error is inspected (logged).
export const GET = inngest.endpoint(async (): Promise<Response> => {
  const where = await step.run("locate", () => "after-step");
  const error = new Error(`trace ${where}`); // TRACE-MARKER: tests expect this line in the stack
  return Response.json({ stack: inspect(error) });
});
