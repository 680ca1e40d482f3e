// Regenerates golden.json: for each argument list in cases.json, the hash
// the real mcp-remote (integration/node_modules/mcp-remote) files that
// server's tokens under. Run from the cache directory so --header-file
// paths resolve as they do in the Go test:
//
//	cd cache && MCP_REMOTE_CONFIG_DIR=$(mktemp -d) node testdata/mcpremote/gen.mjs > testdata/mcpremote/golden.json
//
// It calls mcp-remote's own exported parseCommandLineArgs, which computes
// serverUrlHash with getServerUrlHash.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..", "..", "..", "integration", "node_modules", "mcp-remote");
const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version;
const chunk = readdirSync(join(pkg, "dist")).filter((f) => f.startsWith("chunk-") && readFileSync(join(pkg, "dist", f), "utf8").includes("function getServerUrlHash"))[0];
const { parseCommandLineArgs } = await import(pathToFileURL(join(pkg, "dist", chunk)).href);
if (!process.env.MCP_REMOTE_CONFIG_DIR) throw new Error("set MCP_REMOTE_CONFIG_DIR to a scratch directory");

const cases = JSON.parse(readFileSync(join(here, "cases.json"), "utf8"));
const out = [];
for (const args of cases) {
  try {
    const r = await parseCommandLineArgs([...args], "usage");
    out.push({ args, hash: r.serverUrlHash });
  } catch (e) {
    out.push({ args, error: String(e.message) });
  }
}
process.stdout.write(JSON.stringify({ "mcp-remote": version, cases: out }, null, 2) + "\n");
