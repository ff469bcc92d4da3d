/**
 * Writes rules/schema.json, the JSON Schema editors use for rules documents, from the same
 * zod schema the Worker validates with. `npm run rules:schema`; a test fails when the
 * committed file is out of date.
 */
import { writeFileSync } from "node:fs";
import { rulesJsonSchema } from "../src/rules/json-schema";

const out = new URL("../rules/schema.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out.pathname.split("/").slice(-2).join("/")}`);
