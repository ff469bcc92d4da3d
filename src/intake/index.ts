/**
 * Training-data intake (issue 10): the pure scan of a fine-tuning file before it reaches
 * the provider. docs/training-data.md explains the threat model and every signal.
 *
 * @example
 * import { IntakePolicySchema, scanTrainingFile, reportJson } from "../intake/index";
 * const report = scanTrainingFile(bytes, IntakePolicySchema.parse(plan.intake ?? {}), history, { fingerprintKey });
 * // report.verdict: accept | flag | redact | quarantine | reject; reportJson(report) for the uploader
 */
export { scanTrainingFile, type IntakeOptions } from "./scan";
export {
  DEFAULT_INTAKE_POLICY,
  INTAKE_RULES,
  IntakeActionSchema,
  IntakePolicySchema,
  VERDICT_ORDER,
  type AnswerRule,
  type IntakeAction,
  type IntakePolicy,
  type IntakePolicyInput,
  type IntakeRule,
  type IntakeVerdict,
} from "./policy";
export { IntakeHistorySchema, type IntakeHistory } from "./drift";
export { MAX_LINES_LISTED, reportJson, type IntakeFinding, type IntakeReport, type IntakeStats, type Severity } from "./report";
export { ChatLineSchema, PreferenceLineSchema } from "./format";
