import { describe, expect, it } from "vitest";
import errorsDoc from "../docs/errors.md?raw";
import { ERRORS, errorResponse, GatewayError, toGatewayError } from "../src/errors";

describe("error table", () => {
  it("docs/errors.md lists every code with its status", () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(errorsDoc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${spec.status} \\|`));
    }
  });

  it("unknown exceptions become internal_error without their message", async () => {
    const err = toGatewayError(new SyntaxError('Unexpected token in JSON at "secret prompt"'));
    expect(err.code).toBe("internal_error");
    const res = errorResponse(err, "req_x");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("secret prompt");
    expect(err.detail).not.toContain("secret prompt");
  });

  it("headers from the error are kept; the wire shape is fixed", async () => {
    const res = errorResponse(new GatewayError("method_not_allowed", { headers: { allow: "POST" } }), "req_y");
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.headers.get("x-request-id")).toBe("req_y");
    expect(await res.json()).toEqual({ error: { message: ERRORS.method_not_allowed.message, type: "invalid_request_error", code: "method_not_allowed", param: null } });
  });
});
