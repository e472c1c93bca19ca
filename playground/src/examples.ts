/** The gallery: the seed page's examples plus one per control-flow shape the compiler handles. */
export interface Example {
  id: string;
  title: string;
  /** the request the Run panel starts with */
  query: string;
  code: string;
}

const header = `import { Inngest, step } from "inngest";
import { endpointAdapter } from "inngest/edge";

const inngest = new Inngest({ id: "my-app", endpointAdapter });
`;

export const examples: Example[] = [
  {
    id: "fetch-data",
    title: "Seed: fetch data",
    query: "",
    code: `${header}
async function fetchExternalAPI() {
  return { temperature: 21, at: new Date().toISOString() };
}

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const started = Date.now();
  const data = await step.run("fetch-data", async () => {
    return await fetchExternalAPI();
  });

  const summary = await step.run("summarize", () => \`It is \${data.temperature}°C\`);

  return Response.json({ data, summary, tookMs: Date.now() - started });
});
`,
  },
  {
    id: "query-params",
    title: "Seed: query parameters",
    query: "?userId=u_42&action=upgrade",
    code: `${header}
async function processAction(userId: string | null, action: string | null) {
  return { userId, action, ok: true };
}

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const url = new URL(req.url);

  // Read data from query parameters
  const userId = url.searchParams.get("userId");
  const action = url.searchParams.get("action");

  const user = await step.run("load-user", () => ({ id: userId, plan: "free" }));
  const result = await step.run("process", async () => {
    return await processAction(user.id, action);
  });

  return Response.json({ result });
});
`,
  },
  {
    id: "loop",
    title: "Loop: price every item",
    query: "?id=a&id=b&id=c",
    code: `${header}
function fetchPrice(id: string) {
  return { id, price: id.charCodeAt(0) - 90 };
}

export const handler = inngest.endpoint(async (req: Request) => {
  const ids = new URL(req.url).searchParams.getAll("id");
  let total = 0;
  for (const id of ids) {
    const item = await step.run("price", () => fetchPrice(id));
    total += item.price;
  }
  await step.sleep("cool-down", "30s");
  return Response.json({ total, count: ids.length });
});
`,
  },
  {
    id: "try-catch",
    title: "try/catch: retries exhausted",
    query: "",
    code: `import { Inngest, step, NonRetriableError } from "inngest";
import { endpointAdapter } from "inngest/edge";

const inngest = new Inngest({ id: "my-app", endpointAdapter, retries: 2 });

async function riskyAPICall(): Promise<string> {
  throw new Error("upstream is down");
}

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const order = await step.run("create-order", () => ({ id: "ord_1", total: 30 }));
  try {
    const result = await step.run("risky-operation", async () => {
      return await riskyAPICall();
    });

    return Response.json({ result });
  } catch (error) {
    // All retries exhausted, handle gracefully
    await step.run("refund", () => ({ refunded: order.total }));
    return Response.json(
      { error: "Operation failed after retries", cause: (error as Error).message },
      { status: 500 }
    );
  }
});
`,
  },
  {
    id: "promise-all",
    title: "Promise.all: parallel steps",
    query: "?city=Lyon",
    code: `${header}
export const handler = inngest.endpoint(async (req: Request) => {
  const city = new URL(req.url).searchParams.get("city") ?? "Paris";
  const [weather, events] = await Promise.all([
    step.run("weather", () => ({ city, sky: "clear" })),
    step.run("events", () => [\`Concert in \${city}\`, "Market"]),
  ]);
  const report = await step.run("report", () => \`\${events.length} events, \${weather.sky} sky\`);
  return Response.json({ city, report });
});
`,
  },
  {
    id: "wait-for-event",
    title: "waitForEvent: human approval",
    query: "?requestId=r_1",
    code: `${header}
export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const requestId = new URL(req.url).searchParams.get("requestId");
  const draft = await step.run("draft", () => ({ requestId, amount: 120 }));

  const approval = await step.waitForEvent("wait-for-approval", {
    event: "approval/received",
    match: "data.requestId",
    timeout: "24h",
  });

  if (!approval) return Response.json({ status: "expired", draft });
  await step.sleep("rate-limit-pause", "30s");
  const payout = await step.run("pay", () => ({ paid: draft.amount, approvedBy: approval.data.approver ?? "someone" }));
  return Response.json({ status: "paid", payout });
});
`,
  },
  {
    id: "streamed-response",
    title: "Streamed response (SSE) that survives disconnects",
    query: "?topic=durable+endpoints",
    code: `${header}
// A few steps, then a streamed answer: what an AI endpoint looks like. The response reaches the
// client as it is produced and is persisted while it streams. A client that drops rejoins at the
// X-Durable-Poll-Url the response carries, with Last-Event-ID (events get ids); if the process
// dies mid-stream, the run resumes after its last step and streams again.
async function* generateTokens(prompt: string) {
  for (const word of prompt.split(" ")) {
    await new Promise((resolve) => setTimeout(resolve, 120));
    yield word + " ";
  }
}

export const handler = inngest.endpoint(async (req: Request): Promise<Response> => {
  const topic = new URL(req.url).searchParams.get("topic") ?? "anything";
  const context = await step.run("retrieve", () => ({ topic, facts: 2 }));
  const prompt = await step.run("build-prompt", () => \`Explain \${context.topic} in \${context.facts} short sentences\`);

  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for await (const token of generateTokens(prompt)) {
        controller.enqueue(encoder.encode(\`data: \${JSON.stringify({ token })}\\n\\n\`));
      }
      controller.enqueue(encoder.encode("event: done\\ndata: {}\\n\\n"));
      controller.close();
    },
  });
  return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
});
`,
  },
  {
    id: "diagnostic",
    title: "Diagnostic: a step kept pending",
    query: "",
    code: `${header}
// The compiler refuses what it cannot checkpoint, with a code frame and a fix.
export const handler = inngest.endpoint(async (req: Request) => {
  const pending = step.run("slow", () => 42);
  const other = await step.run("fast", () => 1);
  return Response.json({ value: (await pending) + other });
});
`,
  },
];

export const defaultExample = examples[0]!;

export function findExample(id: string | undefined): Example | undefined {
  return examples.find((e) => e.id === id);
}
