/**
 * Object ids carried inside request bodies, and the ids a stored response creates, pure.
 *
 * Every client shares one provider account, so a file id, a response id or an item id that
 * one client learns is usable by any other, through the model (OWASP API Security Top 10
 * 2023, API1: Broken Object Level Authorization). The ids listed here are checked against
 * the caller's own records before the request is forwarded (src/middleware/objects.ts).
 * `file_search` vector stores are not here: the plan lists those (src/policy/params.ts).
 */
import type { ApiRoute } from "../routes";
import { isJsonObject, type JsonObject } from "../util/json";

/** `conversation` is listed so it can be refused: no route here creates one (docs/pipeline.md). */
export type BodyObjectKind = "file" | "response" | "item" | "conversation";

/** One id in a body, with the OpenAI-style path of the field that holds it (the error's `param`). */
export interface BodyObjectRef {
  kind: BodyObjectKind;
  id: string;
  param: string;
}

/**
 * The most distinct ids one request may name. Each costs a lookup in the client's object
 * before admission has counted the request; real requests name a handful.
 */
export const MAX_BODY_OBJECT_REFS = 256;

/** Output item ids recorded per response; the rest of a longer output is not owned. */
export const RESPONSE_ITEMS_KEPT = 256;
/** Stored responses remembered per client (the newest). */
export const OWNED_RESPONSES_KEPT = 10_000;
/** OpenAI keeps a stored response 30 days; a record older than that owns nothing. */
export const OWNED_RESPONSE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Ids as providers write them (`resp_…`, `msg_…`, `fc_…`). Strict so a recorded id is small
 * and plain; an id of another shape cannot have been recorded, so it is simply not owned.
 */
const PROVIDER_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function isProviderId(id: unknown): id is string {
  return typeof id === "string" && PROVIDER_ID.test(id);
}

type Obj = JsonObject;
const str = (v: unknown): v is string => typeof v === "string";

/**
 * The object ids `body` (validated, after the parameter policy) refers to, in body order.
 * Walks only the fields that can hold one, so a body without them costs a few property reads.
 */
export function bodyObjectRefs(route: ApiRoute, body: Obj): BodyObjectRef[] {
  const out: BodyObjectRef[] = [];
  if (route === "chat") chatRefs(body, out);
  else if (route === "responses") responsesRefs(body, out);
  return out;
}

function chatRefs(body: Obj, out: BodyObjectRef[]): void {
  const messages = body.messages;
  if (!Array.isArray(messages)) return;
  messages.forEach((m: unknown, i) => {
    const content = isJsonObject(m) ? m.content : undefined;
    if (!Array.isArray(content)) return;
    content.forEach((part: unknown, j) => {
      if (!isJsonObject(part) || part.type !== "file" || !isJsonObject(part.file)) return;
      const id = part.file.file_id;
      if (str(id)) out.push({ kind: "file", id, param: `messages[${i}].content[${j}].file.file_id` });
    });
  });
}

/** `input_file` and `input_image` parts name a stored file by `file_id`. */
function partRefs(parts: unknown, at: string, out: BodyObjectRef[]): void {
  if (!Array.isArray(parts)) return;
  parts.forEach((part: unknown, j) => {
    if (isJsonObject(part) && (part.type === "input_file" || part.type === "input_image") && str(part.file_id)) {
      out.push({ kind: "file", id: part.file_id, param: `${at}[${j}].file_id` });
    }
  });
}

/** A prompt variable's name goes into `param` (and analytics) only when it is a plain name. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function responsesRefs(body: Obj, out: BodyObjectRef[]): void {
  if (str(body.previous_response_id)) out.push({ kind: "response", id: body.previous_response_id, param: "previous_response_id" });
  const conversation = body.conversation;
  if (str(conversation)) out.push({ kind: "conversation", id: conversation, param: "conversation" });
  else if (isJsonObject(conversation) && str(conversation.id)) out.push({ kind: "conversation", id: conversation.id, param: "conversation.id" });

  const input = body.input;
  if (Array.isArray(input)) {
    input.forEach((item: unknown, i) => {
      if (!isJsonObject(item)) return;
      const at = `input[${i}]`;
      // The schema gives a reference the "no role" slot: `type` is item_reference or absent.
      if (item.role === undefined && (item.type === "item_reference" || item.type === undefined || item.type === null) && str(item.id)) {
        out.push({ kind: "item", id: item.id, param: `${at}.id` });
      } else if (item.role !== undefined) {
        partRefs(item.content, `${at}.content`, out);
      } else if (item.type === "function_call_output" || item.type === "custom_tool_call_output") {
        partRefs(item.output, `${at}.output`, out);
      } else if (item.type === "computer_call_output" && isJsonObject(item.output) && str(item.output.file_id)) {
        out.push({ kind: "file", id: item.output.file_id, param: `${at}.output.file_id` });
      }
    });
  }

  const prompt = body.prompt;
  if (isJsonObject(prompt) && isJsonObject(prompt.variables)) {
    for (const [name, value] of Object.entries(prompt.variables)) {
      if (!isJsonObject(value) || (value.type !== "input_file" && value.type !== "input_image") || !str(value.file_id)) continue;
      out.push({ kind: "file", id: value.file_id, param: PLAIN_NAME.test(name) ? `prompt.variables.${name}.file_id` : "prompt.variables" });
    }
  }

  // Code interpreter's container is forwarded as given (an opaque tool), files and all.
  const tools = body.tools;
  if (Array.isArray(tools)) {
    tools.forEach((tool: unknown, i) => {
      if (!isJsonObject(tool) || tool.type !== "code_interpreter" || !isJsonObject(tool.container) || !Array.isArray(tool.container.file_ids)) return;
      tool.container.file_ids.forEach((id: unknown, j) => {
        if (str(id)) out.push({ kind: "file", id, param: `tools[${i}].container.file_ids[${j}]` });
      });
    });
  }
}

/** What a stored response makes its creator own. */
export interface CreatedResponse {
  id: string;
  /** Output item ids, at most RESPONSE_ITEMS_KEPT. */
  items: string[];
}

/**
 * The ids of a `response` object (a plain answer's body, or the `response` of a stream's
 * `response.created` / `response.completed` event); undefined when it has no usable id.
 */
export function createdResponseOf(response: unknown): CreatedResponse | undefined {
  if (!isJsonObject(response) || !isProviderId(response.id)) return undefined;
  const items: string[] = [];
  if (Array.isArray(response.output)) {
    for (const item of response.output as unknown[]) {
      if (items.length >= RESPONSE_ITEMS_KEPT) break;
      if (isJsonObject(item) && isProviderId(item.id)) items.push(item.id);
    }
  }
  return { id: response.id, items };
}
