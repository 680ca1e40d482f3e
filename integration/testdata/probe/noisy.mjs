// A real MCP server on the TypeScript SDK that also logs to stdout, as
// @agentdeskai/browser-tools-mcp does: plain lines before it starts and
// after it answers. PROBE_DELAY_MS makes it a slow starter.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

console.log("Starting Browser Tools MCP Server...");
console.log("Attempting to discover server on 127.0.0.1:3025");
const delay = Number(process.env.PROBE_DELAY_MS || 0);
if (delay > 0) {
  await new Promise((r) => setTimeout(r, delay));
}
const server = new McpServer({ name: "noisy-tools", version: "2.0.2" });
for (const name of ["getConsoleLogs", "takeScreenshot", "runAuditMode"]) {
  server.tool(name, name, { q: z.string().optional() }, async () => ({ content: [{ type: "text", text: "ok" }] }));
}
await server.connect(new StdioServerTransport());
console.log("MCP server connected, waiting for requests");
setInterval(() => console.log("heartbeat"), 200);
