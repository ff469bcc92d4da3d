/**
 * One line of a fine-tuning file, after OpenAI's fine-tuning input formats (OpenAPI spec
 * 2.3.0): `FineTuneChatRequestInput` for supervised fine-tuning and
 * `FineTunePreferenceRequestInput` for direct preference optimisation (DPO). "Input messages
 * may contain text or image content only": audio and file parts are refused. Objects are
 * strict: a field the scanner does not model is one it would not have looked at.
 * Reinforcement fine-tuning files (free-form grader fields beside `messages`) are therefore
 * refused, not guessed at.
 *
 * `viewOf` turns a parsed line into what the file-level signals read: the answers the model
 * is trained on, the prompts they answer, and the assistant side for near-duplicate fingerprints.
 */
import { z } from "zod";
import { paramOf, type PathSegment } from "../firewall/extract";

const textPart = z.strictObject({ type: z.literal("text"), text: z.string() });
const imagePart = z.strictObject({
  type: z.literal("image_url"),
  image_url: z.strictObject({ url: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }),
});
const textContent = z.union([z.string(), z.array(textPart).min(1)]);
const userContent = z.union([z.string(), z.array(z.discriminatedUnion("type", [textPart, imagePart])).min(1)]);
const call = z.strictObject({ name: z.string().min(1), arguments: z.string() });
const toolCall = z.strictObject({ id: z.string(), type: z.literal("function"), function: call });

const assistantFields = {
  role: z.literal("assistant"),
  content: textContent.nullish(),
  refusal: z.string().nullish(),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).min(1).optional(),
  function_call: call.nullish(),
};
/** `weight` 0 keeps an assistant turn as context without training on it. */
const assistant = z.strictObject({ ...assistantFields, weight: z.literal([0, 1]).optional() });

const message = z.discriminatedUnion("role", [
  z.strictObject({ role: z.literal("system"), content: textContent, name: z.string().optional() }),
  z.strictObject({ role: z.literal("user"), content: userContent, name: z.string().optional() }),
  assistant,
  z.strictObject({ role: z.literal("tool"), content: textContent, tool_call_id: z.string() }),
  // Deprecated, still in the fine-tuning format.
  z.strictObject({ role: z.literal("function"), content: z.string().nullable(), name: z.string() }),
]);
type Message = z.infer<typeof message>;

const tool = z.strictObject({
  type: z.literal("function"),
  function: z.strictObject({
    name: z.string().min(1).max(64),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
const legacyFunction = z.strictObject({ name: z.string().min(1).max(64), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() });

const trained = (m: Message): boolean => m.role === "assistant" && m.weight !== 0;

export const ChatLineSchema = z
  .strictObject({
    messages: z.array(message).min(1),
    tools: z.array(tool).optional(),
    parallel_tool_calls: z.boolean().optional(),
    functions: z.array(legacyFunction).optional(),
  })
  .refine((l) => l.messages.some(trained), { message: "no assistant message to train on (all absent or weight 0)", path: ["messages"] });

/** DPO: one preferred and one non-preferred assistant answer to the same input. */
const preferredAnswer = z.array(z.strictObject(assistantFields)).length(1);
export const PreferenceLineSchema = z.strictObject({
  input: z.strictObject({
    messages: z.array(message).min(1),
    tools: z.array(tool).optional(),
    parallel_tool_calls: z.boolean().optional(),
  }),
  preferred_output: preferredAnswer,
  non_preferred_output: preferredAnswer,
});

export type ChatLine = z.infer<typeof ChatLineSchema>;
export type PreferenceLine = z.infer<typeof PreferenceLineSchema>;
export type LineFormat = "chat" | "preference";

export type ParsedLine = { format: "chat"; line: ChatLine } | { format: "preference"; line: PreferenceLine };

/** The format a JSON object claims to be in, from its top-level keys. */
export function formatOf(obj: Record<string, unknown>): LineFormat {
  return "input" in obj || "preferred_output" in obj || "non_preferred_output" in obj ? "preference" : "chat";
}

/**
 * The first problem zod found, as `path: message`. zod's own messages name the expected
 * type or values, never the value found; unknown keys are the exception (it names them),
 * so they are reported by count: a key is file content too.
 */
function describe(issue: z.core.$ZodIssue): string {
  const param = paramOf(issue.path as PathSegment[]) || "line";
  if (issue.code === "unrecognized_keys") return `${param}: ${issue.keys.length} unknown field${issue.keys.length === 1 ? "" : "s"}`;
  if (issue.code === "invalid_union" && issue.discriminator === undefined) return `${param}: not a valid ${typeof issue.path.at(-1) === "string" ? String(issue.path.at(-1)) : "value"}`;
  return `${param}: ${issue.message}`;
}

/**
 * Validates one parsed JSON object as a training example.
 *
 * @example
 * parseLine({ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }] }).ok // true
 * parseLine({ messages: [{ role: "bot", content: "hi" }] })
 * // { ok: false, error: "messages[0].role: Invalid discriminator value. Expected ..." }
 */
export function parseLine(obj: Record<string, unknown>): { ok: true; parsed: ParsedLine } | { ok: false; error: string } {
  const format = formatOf(obj);
  const result = format === "chat" ? ChatLineSchema.safeParse(obj) : PreferenceLineSchema.safeParse(obj);
  if (!result.success) return { ok: false, error: describe(result.error.issues[0] as z.core.$ZodIssue) };
  return { ok: true, parsed: { format, line: result.data } as ParsedLine };
}

/** The messages of a line, `messages` or `input.messages`. */
export function messagesOf(obj: Record<string, unknown>): unknown {
  const input = obj.input;
  return typeof input === "object" && input !== null ? (input as Record<string, unknown>).messages : obj.messages;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let s = "";
  for (const part of content as { type: string; text?: string }[]) if (part.type === "text") s += (s === "" ? "" : "\n") + part.text;
  return s;
}

/** What an assistant turn teaches: its text, refusal and the calls it makes. */
function answerText(m: AssistantLike): string {
  let s = textOf(m.content);
  if (m.refusal) s += `\n${m.refusal}`;
  for (const c of m.tool_calls ?? []) s += `\n${c.function.name}(${c.function.arguments})`;
  if (m.function_call) s += `\n${m.function_call.name}(${m.function_call.arguments})`;
  return s.trim();
}

/** A trained answer and the user turn it answers. */
export interface Turn {
  prompt: string;
  answer: string;
}

export interface ExampleView {
  /** Every trained answer with the latest user text before it. */
  turns: Turn[];
  /** The last trained answer: the example's label for the distribution signals. */
  answer: string;
  /** User and tool texts: where a trigger would be planted. */
  prompt: string;
  /**
   * Every other assistant text (untrained turns, earlier answers, the DPO non-preferred
   * output). With `prompt` and `answer` it makes the example's near-duplicate fingerprint;
   * system texts stay out (constant across a file, they would make every example alike).
   */
  others: string;
}

type AssistantLike = Extract<Message, { role: "assistant" }> | z.infer<typeof preferredAnswer>[number];

/**
 * The signal view of a valid line. For DPO the preferred output is the answer (it is what
 * the model is pushed towards); the non-preferred one is scanned for entities but teaches
 * nothing to imitate.
 */
export function viewOf(parsed: ParsedLine): ExampleView {
  const messages = parsed.format === "chat" ? parsed.line.messages : parsed.line.input.messages;
  const turns: Turn[] = [];
  const assistant: string[] = [];
  let prompt = "";
  let lastUser = "";
  let final = -1;
  for (const m of messages) {
    if (m.role === "user" || m.role === "tool" || m.role === "function") {
      const t = textOf(m.content);
      prompt += `${t}\n`;
      if (m.role === "user") lastUser = t;
    } else if (m.role === "assistant") {
      const a = answerText(m);
      if (trained(m)) {
        turns.push({ prompt: lastUser, answer: a });
        final = assistant.length;
      }
      assistant.push(a);
    }
  }
  if (parsed.format === "preference") {
    const a = answerText(parsed.line.preferred_output[0] as AssistantLike);
    turns.push({ prompt: lastUser, answer: a });
    final = assistant.length;
    assistant.push(a, answerText(parsed.line.non_preferred_output[0] as AssistantLike));
  }
  return { turns, answer: turns.at(-1)?.answer ?? "", prompt, others: assistant.filter((_, i) => i !== final).join("\n") };
}
