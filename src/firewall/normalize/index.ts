/**
 * Normalisation before detection: what the prompt firewall scans, as opposed to what is
 * forwarded. Everything here is pure and linear in the input.
 * - `findSmuggling`: invisible and smuggling characters, hidden tag text, a stripped copy;
 * - `foldForDetection`: NFKC, homoglyphs, case, leetspeak and spelled-out words folded away;
 * - `decodePayloads`: base64, hex, percent and HTML encodings decoded, two levels deep.
 */
export { MAX_SPANS, SMUGGLING_KINDS, findSmuggling } from "./smuggling";
export type { SmugglingKind, SmugglingReport, SmugglingSpan } from "./smuggling";
export { foldForDetection, originalSpan } from "./fold";
export type { FoldResult } from "./fold";
export { decodePayloads, decodePayloadsReport, rot13 } from "./decode";
export type { DecodeOptions, DecodeReport, DecodedPayload, PayloadEncoding } from "./decode";
