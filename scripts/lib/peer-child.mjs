// @ts-check
/**
 * Preloaded (`node --import`) into the peer gateway's process by scripts/lib/peer.mjs.
 *
 * The peer's server calls `listen(port)` with no host, which listens on every interface: for
 * the length of a benchmark that would be an open proxy on the network. Here a listen without
 * a host gets the loopback address instead.
 *
 * The benchmark holds the write end of this process's stdin: when the benchmark ends in any
 * way, even by SIGKILL, stdin closes and this process exits, so no peer outlives its run.
 */
import net from "node:net";

const listen = net.Server.prototype.listen;
/** @type {any} */ (net.Server.prototype).listen = function (/** @type {unknown[]} */ ...args) {
  if (typeof args[0] === "number") {
    if (args[1] === undefined || args[1] === null) args[1] = "127.0.0.1";
    else if (typeof args[1] === "function") args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, /** @type {any} */ (args));
};

process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
