/**
 * `npm run quarantine -- list|get|content|release|discard`: the review of quarantined training
 * files from a shell, against a running gateway with an admin key (`/admin/v1/quarantine`,
 * src/admin/quarantine.ts). `npm run quarantine -- --help` for the usage; docs/training-data.md
 * ("Quarantine holds the file for review") for what each decision does.
 *
 * Pure parts (command line, requests, output) live in lib/quarantine-cli.ts.
 */
import { open, rename, rm } from "node:fs/promises";
import { callGateway, runCli, runIfScript, type Env } from "./lib/cli";
import { CliError, failure, formatDetail, formatHeld, parseCommand, requestOf, USAGE, type Command, type HeldRow } from "./lib/quarantine-cli";

const TIMEOUT_MS = 60_000;

async function okJson(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (!res.ok) throw failure(res.status, text, what);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The bytes to FILE.partial (owner-only: it is a client's training data), renamed once complete. */
async function writeFile(file: string, res: Response): Promise<number> {
  const partial = `${file}.partial`;
  const handle = await open(partial, "w", 0o600).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot write ${partial} (${err.code ?? err.message})`);
  });
  let written = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await handle.write(chunk);
      written += chunk.byteLength;
    }
    await handle.close();
    await rename(partial, file);
    return written;
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(partial, { force: true });
    throw err;
  }
}

async function run(cmd: Exclude<Command, { kind: "help" }>): Promise<number> {
  const { path, ...request } = requestOf(cmd);
  const res = await callGateway(cmd.gateway, path, TIMEOUT_MS, request);
  switch (cmd.kind) {
    case "list": {
      const page = (await okJson(res, "list")) as { data: HeldRow[]; has_more: boolean; next_after: string | null };
      if (cmd.json) for (const h of page.data) console.log(JSON.stringify(h));
      else for (const h of page.data) console.log(formatHeld(h));
      if (page.data.length === 0) console.error(`no held files${cmd.client === undefined ? "" : ` for client ${cmd.client}`}${page.has_more ? " on this page" : ""}`);
      if (page.has_more) console.error(`more: --after ${page.next_after}`);
      return 0;
    }
    case "get": {
      const value = await okJson(res, `get ${cmd.id}`);
      console.log(cmd.json ? JSON.stringify(value, null, 2) : formatDetail(value));
      return 0;
    }
    case "content": {
      if (!res.ok) throw failure(res.status, await res.text(), `content ${cmd.id}`);
      if (cmd.out === undefined) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(chunk);
        return 0;
      }
      console.error(`wrote ${await writeFile(cmd.out, res)} bytes to ${cmd.out}`);
      return 0;
    }
    case "release": {
      const value = (await okJson(res, `release ${cmd.id}`)) as { client_id: string; file: { id: string } };
      console.log(`released ${cmd.id}: file ${value.file.id}, owned by client ${value.client_id}`);
      return 0;
    }
    case "discard": {
      const value = (await okJson(res, `discard ${cmd.id}`)) as { client_id: string };
      console.log(`discarded ${cmd.id} (client ${value.client_id})`);
      return 0;
    }
  }
}

/** Runs one command line; resolves with the exit code (0 done, 1 failed, 2 bad usage). */
export function main(argv: readonly string[], env: Env): Promise<number> {
  return runCli({ name: "quarantine", usage: USAGE, parse: () => parseCommand(argv, env), run });
}

await runIfScript(import.meta.url, main);
