// Reads {"files": {"<out>.ts": {"schema": <JSON Schema>, "banner": "<text>"}}} on stdin and
// prints {"<out>.ts": "<TypeScript>"} on stdout. Driven by scripts/gen_client_types.py.
import { compile } from "json-schema-to-typescript";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { files } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const out = {};
for (const [name, { schema, banner }] of Object.entries(files)) {
  const ts = await compile(schema, schema.title, {
    bannerComment: banner,
    unreachableDefinitions: true,
    additionalProperties: false,
    strictIndexSignatures: false,
    maxItems: -1,
    format: true,
    style: { printWidth: 100, singleQuote: false },
  });
  // The generator's provenance notes ("This interface was referenced by ...") are noise here.
  out[name] = ts
    .replace(/\n \*\n \* This interface was referenced by `\w+`'s JSON-Schema\n \* via the `definition` "\w+"\.\n/g, "\n")
    .replace(/\/\*\*\n \* This interface was referenced by `\w+`'s JSON-Schema\n \* via the `definition` "\w+"\.\n \*\/\n/g, "");
}
process.stdout.write(JSON.stringify(out));
