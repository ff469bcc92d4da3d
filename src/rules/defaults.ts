import type { RulesDocumentInput } from "./schema";

/**
 * The bundled rules: in force only while no rules document has ever been pushed to KV.
 * Kept identical to rules/default.json (a test checks the two agree).
 */
export const DEFAULT_RULES: RulesDocumentInput = {
  schema_version: 1,
  version: "bundled-default",
  description: "Bundled defaults: strict request validation for every plan.",
  plans: {},
  default_plan: { unknown_fields: "reject" },
};
