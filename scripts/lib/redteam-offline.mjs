// @ts-check
/**
 * Preloaded (`node --import`) into every promptfoo process `npm run redteam` starts, so the run
 * is offline by construction rather than by trusting environment flags alone: any connection
 * to a host other than loopback is refused before DNS, and written to the file named by
 * `AIGIS_REDTEAM_EGRESS_LOG`, which scripts/redteam.ts reads and fails the run on.
 *
 * The flags (PROMPTFOO_DISABLE_TELEMETRY, _UPDATE, _SHARING, _REMOTE_GENERATION) stop the
 * calls promptfoo 0.121.20 checks them for. One call they do not stop: with telemetry disabled,
 * `Telemetry.record` still sends a single "telemetry disabled" event to r.promptfoo.app
 * (`recordTelemetryDisabled` in its src/telemetry.ts). The instance registers itself on
 * `process[Symbol.for("promptfoo.telemetry.instance")]`; it is marked as having sent that event
 * already. If a later promptfoo renames the field, the refusal below still stops the call and
 * the run fails, naming the host.
 */
import { appendFileSync } from "node:fs";
import net from "node:net";

const LOG = process.env.AIGIS_REDTEAM_EGRESS_LOG;
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|\[::1\]|::ffff:127(?:\.\d{1,3}){3})$/i;

/** @param {string} target @returns {Error} */
function refuse(target) {
  if (LOG) appendFileSync(LOG, `${target}\n`);
  return new Error(`offline red-team run: refused a connection to ${target}`);
}

const realFetch = globalThis.fetch;
/** @type {typeof fetch} */
globalThis.fetch = async (input, init) => {
  const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  let host;
  try {
    host = new URL(href).hostname;
  } catch {
    return realFetch(input, init);
  }
  if (!LOOPBACK.test(host)) throw new TypeError("fetch failed", { cause: refuse(host) });
  return realFetch(input, init);
};

// Everything else that opens a TCP or TLS connection (undici, node:http, tls.connect) ends in here.
const realConnect = net.Socket.prototype.connect;
/** @this {net.Socket} @param {any[]} args */
net.Socket.prototype.connect = function connect(...args) {
  const first = args[0];
  /** @type {{ host?: string, path?: string }} */
  const options = Array.isArray(first)
    ? first[0]
    : first !== null && typeof first === "object"
      ? first
      : typeof first === "string" && !/^\d+$/.test(first)
        ? { path: first }
        : { host: typeof args[1] === "string" ? args[1] : undefined };
  if (!options.path && options.host !== undefined && !LOOPBACK.test(options.host)) {
    const err = refuse(options.host);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return realConnect.apply(this, /** @type {any} */ (args));
};

const TELEMETRY = Symbol.for("promptfoo.telemetry.instance");
/** @type {unknown} */
let telemetry;
Object.defineProperty(process, TELEMETRY, {
  configurable: true,
  get: () => telemetry,
  set(value) {
    if (value !== null && typeof value === "object") /** @type {Record<string, unknown>} */ (value).telemetryDisabledRecorded = true;
    telemetry = value;
  },
});
