/**
 * PII detection for the firewall: pure, linear-time detectors that validate what they find
 * (checksums, structural rules, context keywords) instead of trusting a bare pattern.
 *
 * @example
 * detectPii("card 4111 1111 1111 1111, SSN 123-45-6789");
 * // [{ type: "CREDIT_CARD", start: 5, end: 24, ... }, { type: "US_SSN", start: 30, end: 41, ... }]
 */
import { resolveOverlaps, type Entity } from "../entity";
import { addresses, datesOfBirth, passwords, persons } from "./context";
import { abaRoutingNumbers, creditCards, ibans, usBankAccounts } from "./financial";
import { driverLicenses, passports, taxIds, usSsns } from "./identity";
import { emailAddresses, ipAddresses } from "./network";
import { phoneNumbers } from "./phone";
import { PiiScan, type Detector } from "./scan";

export { addresses, datesOfBirth, passwords, persons } from "./context";
export { abaChecksumValid, abaRoutingNumbers, creditCards, ibanChecksumValid, ibans, usBankAccounts } from "./financial";
export { driverLicenses, passports, ssnPartsValid, taxIds, usSsns } from "./identity";
export { emailAddresses, ipAddresses, ipv6Addresses, ipv6Valid } from "./network";
export { phoneNumbers } from "./phone";
export { luhnValid, PiiScan, type Detector } from "./scan";

/** Every detector by name, in no particular order (overlaps are resolved by score). */
export const PII_DETECTORS: Readonly<Record<string, Detector>> = {
  creditCards,
  ibans,
  usSsns,
  emailAddresses,
  phoneNumbers,
  ipAddresses,
  datesOfBirth,
  driverLicenses,
  passports,
  taxIds,
  abaRoutingNumbers,
  usBankAccounts,
  passwords,
  persons,
  addresses,
};

const DETECTORS: readonly Detector[] = Object.values(PII_DETECTORS);

/**
 * Runs all detectors and keeps, among overlapping spans, the longest / most confident. The
 * detectors share one pre-scan of the text (digit runs, keyword starts).
 */
export function detectPii(text: string): Entity[] {
  const scan = new PiiScan(text);
  const all: Entity[] = [];
  for (const detect of DETECTORS) {
    const found = detect(text, scan);
    // Not `all.push(...found)`: spreading hundreds of thousands of spans (1 MB of "pw:'x")
    // overflows the call stack.
    for (let i = 0; i < found.length; i++) all.push(found[i]!);
  }
  return all.length === 0 ? all : resolveOverlaps(all);
}
