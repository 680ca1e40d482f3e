// A server that dies on start the way Node servers do when a required
// setting is missing: an uncaught Error, its stack, and Node's version.
const key = process.env.BRAVE_API_KEY;
if (!key) {
  const err = new Error("BRAVE_API_KEY environment variable is required");
  err.code = "ERR_MISSING_SETTING";
  throw err;
}
