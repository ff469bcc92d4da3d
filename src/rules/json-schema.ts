import { z } from "zod";
import { RulesDocumentSchema } from "./schema";

/** JSON Schema of what operators write (input side: fields with defaults are optional). */
export function rulesJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RulesDocumentSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
}
