// Numbers in and out of the page: volumes typed as 500M or 2.5B, percentages, money (USD or the chosen currency).
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

/** A latency with n significant digits, trailing zeros kept (39.97 ms, 3 -> "40.0", not a "40" that reads as a
 * 40 ms target), never cutting digits of a larger number (1234 -> "1234"). */
export function sigFixed(x, n) {
  const v = Number(x);
  if (!Number.isFinite(v) || v === 0) return String(v);
  return v.toFixed(Math.max(0, n - 1 - Math.floor(Math.log10(Math.abs(v)))));
}

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

// Money is computed in US dollars (fields named usd*) and shown in the chosen currency: the amount
// times the reference rate of tco/pricing/fx_rates.csv (units per USD), set by setCurrency().
let money = { code: "USD", units_per_usd: 1, effective_date: null, source_url: null };
let fmt = formatters("USD");

function formatters(code) {
  const cents = code === "JPY" ? 0 : 2;            // the yen has no cents
  const opt = (more) => new Intl.NumberFormat("en-US", { style: "currency", currency: code, ...more });
  return {
    compact: opt({ notation: "compact", maximumFractionDigits: 2 }),
    // Under 10 units: cents (4.00, 5.05), or three significant digits below 1 (0.0123).
    small: opt({ minimumFractionDigits: cents, maximumFractionDigits: cents }),
    tiny: opt({ maximumSignificantDigits: 3 }),
    // Three significant digits, for amounts in a sentence: $144K, -$386K, $1.2M.
    three: opt({ notation: "compact", maximumSignificantDigits: 3 }),
  };
}

/** Show money in `c` = {code, units_per_usd, effective_date, source_url} (the API's `currency`
 *  object); USD when `c` is empty. */
export function setCurrency(c) {
  money = c && c.code && c.code !== "USD"
    ? { code: c.code, units_per_usd: Number(c.units_per_usd), effective_date: c.effective_date || null,
        source_url: c.source_url || null }
    : { code: "USD", units_per_usd: 1, effective_date: null, source_url: null };
  fmt = formatters(money.code);
}

/** The currency money is shown in: {code, units_per_usd, effective_date, source_url}. */
export const currentCurrency = () => ({ ...money });

/** A scenario with the chosen currency (for the API's verdict and the exports); as it is in USD. */
export const withCurrency = (scenario) => (money.code === "USD" ? scenario : { ...scenario, currency: money.code });

/** The rate in words, for the page: "1 USD = 0.9605 EUR, reference rate of 2025-02-28"; "" in USD. */
export const rateNote = () => (money.code === "USD" ? ""
  : `1 USD = ${sig(money.units_per_usd, 4)} ${money.code}, reference rate of ${money.effective_date}`);

const convert = (x) => x * money.units_per_usd;

/** Money for a KPI, converted from US dollars: $141.92K, €4.00, $0.0123; "n/a" when unknown. */
export const fmtUsd = (x) => {
  if (!known(x)) return "n/a";
  const v = convert(x);
  return Math.abs(v) < 1 && v !== 0 ? fmt.tiny.format(v) : (Math.abs(v) < 10 ? fmt.small.format(v) : fmt.compact.format(v));
};

/** Money in a sentence, converted from US dollars, three significant digits: $144K, -€386K; "n/a" when unknown. */
export const fmtUsd3 = (x) => !known(x) ? "n/a" : fmt.three.format(convert(x));

/** Money to the cent, converted from US dollars, for a bill: $12,345.67, €11,857.73. */
export const fmtUsdCents = (x) => fmt.small.format(convert(x));

/** A month index (0 = the first month) as people count it: "month 1". */
export const fmtMonth = (m) => `month ${Math.floor(m) + 1}`;
