// @ts-check
/** Runs an operator CLI the way its npm script does, for the CLI tests. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * `tsx <script> ...args` from the repository root; resolves with the exit code and output.
 * @param {string} script e.g. "scripts/keys.ts"
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
export async function runScript(script, args, env = process.env) {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const [code] = await once(child, "close");
  return { code, stdout, stderr };
}
