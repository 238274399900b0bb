// Numbers in and out of the page: volumes typed as 500M or 2.5B, percentages, US dollars.
// Pure functions, no DOM: a test can import this module on its own.

const SUFFIX = { k: 1e3, m: 1e6, b: 1e9, t: 1e12 };
const UNITS = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];

/** A volume as people type it: "500M", "2.5B", "1,200k", "1.2e9", "3B tokens".
 *  Returns the number, null for a blank text, NaN for anything else. */
export function parseVolume(text) {
  const t = String(text).trim().toLowerCase().replace(/[, _]/g, "").replace(/tokens?$/, "");
  if (t === "") return null;
  const m = t.match(/^(-?\d*\.?\d+(?:e[+-]?\d+)?)([kmbt]?)$/);
  if (!m) return NaN;
  return parseFloat(m[1]) * (m[2] ? SUFFIX[m[2]] : 1);
}

/** What the page says of a number it cannot read, by the field's kind. */
export function notANumberMessage(kind) {
  return kind === "volume" ? "Not a number: try 500M, 2.5B or 1.2e9." : "Not a number.";
}

/** The text of a numeric field as the scenario's number, by the field's kind:
 *  volume ("2.5B" -> 2.5e9), percent ("12.5" -> 0.125), int (rounded), number ("1,000" -> 1000).
 *  Returns {value} (value null for a blank text) or {error: message}. */
export function parseNumberField(kind, text) {
  const raw = String(text).trim();
  if (raw === "") return { value: null };
  let v = kind === "volume" ? parseVolume(raw) : Number(raw.replace(/,/g, ""));
  if (!Number.isFinite(v)) return { error: notANumberMessage(kind) };
  if (kind === "percent") v = v / 100;
  if (kind === "int") v = Math.round(v);
  return { value: v };
}

function compact(x, digits) {
  for (const [d, s] of UNITS) if (Math.abs(x) >= d) return +(x / d).toPrecision(digits) + s;
  return String(+x.toPrecision(digits));
}

/** A volume for reading: three significant digits and a suffix (2.5e9 -> "2.5B"); "" when unknown. */
export function fmtVolume(x) {
  if (x === null || x === undefined || !isFinite(x)) return "";
  return compact(x, 3);
}

/** A volume written back into a field: the shortest compact text that reads back as the same
 * number (1.23456e9 -> "1.23456B"), so a saved or shared scenario keeps its number exactly. */
export function fmtVolumeExact(x) {
  for (let d = 3; d <= 17; d++) {
    const t = compact(x, d);
    if (parseVolume(t) === x) return t;
  }
  return String(x);
}

/** A percent written back into a field: the shortest text whose value / 100 is the share itself. */
function fmtPercentExact(v) {
  for (let d = 3; d <= 17; d++) {
    const t = sig(v * 100, d);
    if (Number(t) / 100 === v) return t;
  }
  return String(v * 100);
}

/** A number with n significant digits, as text: sig(12.3456, 3) -> "12.3". */
export const sig = (x, n) => String(+Number(x).toPrecision(n));

/** A scenario's value as its field shows it: volumes compact, shares in percent, both exact. */
export function fieldText(kind, v) {
  if (kind === "volume") return fmtVolumeExact(v);
  if (kind === "percent") return fmtPercentExact(v);
  return String(v);
}

/** A field's default (its data-default attribute) as the field shows it; "" for none. */
export function defaultText(kind, d) {
  if (d === "" || d === "None") return "";
  return kind === "volume" ? fmtVolume(Number(d)) : sig(d, 6);
}

const known = (x) => x !== null && x !== undefined && isFinite(x);
const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact",
                                             maximumFractionDigits: 2 });
// Under $10: cents ($4.00, $5.05), or three significant digits below $1 ($0.0123).
const usdSmall = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2,
                                                  maximumFractionDigits: 2 });
const usdTiny = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 3 });
// Three significant digits, for amounts in a sentence: $144K, -$386K, $1.2M.
const usd3 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact",
                                              maximumSignificantDigits: 3 });

/** US dollars for a KPI: $141.92K, $4.00, $0.0123; "n/a" when unknown. */
export const fmtUsd = (x) => !known(x) ? "n/a"
  : (Math.abs(x) < 1 && x !== 0 ? usdTiny.format(x) : (Math.abs(x) < 10 ? usdSmall.format(x) : usd.format(x)));

/** US dollars in a sentence, three significant digits: $144K, -$386K; "n/a" when unknown. */
export const fmtUsd3 = (x) => !known(x) ? "n/a" : usd3.format(x);

/** US dollars to the cent, for a bill: $12,345.67. */
export const fmtUsdCents = (x) => usdSmall.format(x);

/** A month index (0 = the first month) as people count it: "month 1". */
export const fmtMonth = (m) => `month ${Math.floor(m) + 1}`;
