import { inngest } from "../shared/src/endpoints.ts";
import { handle } from "../shared/src/routes.ts";

// Runs as is (`bun server.ts`, endpoints compiled by the preload) or bundled by build.ts.
const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000), fetch: handle });
console.log(`listening on http://127.0.0.1:${server.port}`);
void inngest.start(); // resume runs left behind by a previous process

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void server.stop().then(() => inngest.close()).finally(() => process.exit(0)));
}
