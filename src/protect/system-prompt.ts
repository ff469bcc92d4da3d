/**
 * The request's system prompt, as response protection needs it: its text (to notice a
 * response quoting it) and a place to put a canary token (to notice a response repeating
 * it). Chat's `system` and `developer` messages and the Responses API's `instructions` and
 * system/developer input items count; legacy completions have no system prompt.
 */
import { isJsonObject as isObj, type JsonObject as Obj } from "../util/json";

function isSystemRole(m: unknown): m is Obj {
  return isObj(m) && (m.role === "system" || m.role === "developer");
}

/** String content, or the text parts of content arrays. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p) => (isObj(p) && typeof p.text === "string" ? p.text : ""))
    .filter((t) => t !== "")
    .join("\n");
}

function systemMessages(route: string, body: Obj): Obj[] {
  const list = route === "chat" ? body.messages : route === "responses" ? body.input : undefined;
  return Array.isArray(list) ? list.filter(isSystemRole) : [];
}

/** All system-prompt text of a request, joined; "" when it has none. */
export function systemPromptOf(route: string, body: Obj): string {
  const parts: string[] = [];
  if (route === "responses" && typeof body.instructions === "string") parts.push(body.instructions);
  for (const m of systemMessages(route, body)) parts.push(textOf(m.content));
  return parts.filter((t) => t !== "").join("\n");
}

/** How the canary appears in the prompt: short, and unlike anything a user would write. */
export function canaryLine(canary: string): string {
  return `\n\n[ref: ${canary}]`;
}

/**
 * Appends the canary to the first system prompt of the request (in place). A request without
 * a system prompt gets none: there is nothing of the operator's to leak.
 * Returns whether it was inserted.
 */
export function insertCanary(route: string, body: Obj, canary: string): boolean {
  const line = canaryLine(canary);
  if (route === "responses" && typeof body.instructions === "string" && body.instructions !== "") {
    body.instructions += line;
    return true;
  }
  const first = systemMessages(route, body)[0];
  if (first === undefined) return false;
  if (typeof first.content === "string") {
    first.content += line;
    return true;
  }
  if (Array.isArray(first.content)) {
    const textType = route === "responses" ? "input_text" : "text";
    first.content.push({ type: textType, text: line.trimStart() });
    return true;
  }
  return false;
}
