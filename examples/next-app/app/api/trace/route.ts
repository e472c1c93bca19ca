import { step } from "inngest";
import { inspect } from "node:util";
import { inngest } from "example-shared/endpoints.ts";

export const dynamic = "force-dynamic";

// GET /api/trace — a stack trace taken inside the compiled handler, after a step. Next.js keeps
// `error.stack` unmapped and applies the server source maps when an error is inspected (logged),
// so this route is Next's own; the shared one returns `error.stack`.
export const GET = inngest.endpoint(async (): Promise<Response> => {
  const where = await step.run("locate", () => "after-step");
  const error = new Error(`trace ${where}`); // TRACE-MARKER: tests expect this line in the stack
  return Response.json({ stack: inspect(error) });
});
