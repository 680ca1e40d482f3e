// What Node itself writes after an edit: reads {doc, path, raw, indent} on
// stdin, deletes the key at path (or sets it to raw when raw is given) and
// prints JSON.stringify(result, null, indent) — the bytes Claude Code would
// write. Used by jsonedit's tests as the reference for byte-identical edits.
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const { doc, path, raw, indent } = JSON.parse(input);
  const obj = JSON.parse(doc);
  let parent = obj;
  for (const k of path.slice(0, -1)) {
    if (!(k in parent)) parent[k] = {};
    parent = parent[k];
  }
  const last = path[path.length - 1];
  if (raw === undefined || raw === null) delete parent[last];
  else parent[last] = JSON.parse(raw);
  process.stdout.write(indent ? JSON.stringify(obj, null, indent) : JSON.stringify(obj));
});
