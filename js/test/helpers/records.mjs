/**
 * Generated records for the differential tests (fast-check): strings over all of Unicode (C0/C1 controls,
 * U+2028, U+2029, U+0085, noncharacters, astral characters) in keys and values, numbers over the whole
 * double range and its edges, and in about one record of three one fault that every runtime must refuse
 * the same way: a lone surrogate (in a key or a value, anywhere), a number outside the number rule
 * (NaN, ±Infinity, 1e20, 2^53, 1e16+0.5, ...), or a broken shape. tests_browser/differential_records.py
 * is the hypothesis twin. Timestamps are explicit and (but for one fault) never go back.
 */

import fc from "fast-check";

export const T0 = 1_700_000_000_000;

/** Characters that escapers, line splitters and `isspace` treat specially. */
const SPECIAL_CHARS = [
  "\u2028", "\u2029", "\u0085", "\u0000", "\u0001", "\b", "\t", "\n", "\v", "\f", "\r", "\u001b", "\u001c", "\u001f",
  " ", '"', "\\", "/", "\u007f", "\u0080", "\u009f", "\u00a0", "\u00ad", "\u200b", "\u3000", "\ufeff", "\ud7ff",
  "\ue000", "\ufffd", "\ufffe", "\uffff", "\u{10000}", "\u{1f600}", "\u{10ffff}", "e\u0301",
];
/** Whitespace in Python's `str.isspace()` sense: a label of only these is blank. */
export const WHITESPACE = [
  "\t", "\n", "\v", "\f", "\r", "\u001c", "\u001d", "\u001e", "\u001f", " ", "\u0085", "\u00a0", "\u1680", "\u2000",
  "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
];
/** Keys that mean something to JavaScript objects, or sort differently by UTF-16 than by code point. */
const SPECIAL_KEYS = [
  "__proto__", "constructor", "toJSON", "hasOwnProperty", "", "0", "1", "10", "-1", "01", "1.5", "a", "A",
  "\u{1f600}", "\ue000", "\uffff", "\u{10000}", "\u2028", "\u0000",
];

/** Numbers every runtime accepts, with the same bytes. */
export const ACCEPTED_NUMBERS = [
  0, -0, 1, -1, 5e-324, -5e-324, 2.225073858507201e-308, 2.2250738585072014e-308, 1.7976931348623157e308,
  -1.7976931348623157e308, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53 - 2, 1e21, -1e21, 1.0000000000000001e21, 1e-7, 1e-6,
  0.1, 0.30000000000000004, 1.5, 4503599627370496.5, 1.23e-18, 1e300, 2 ** -1060,
];
/** Numbers every runtime refuses (INVALID_RECORD): not finite, or spelled as integers beyond ±(2^53−1). */
export const REFUSED_NUMBERS = [
  NaN, Infinity, -Infinity, 1e20, -1e20, 2 ** 53, -(2 ** 53), 2 ** 53 + 2, -(2 ** 53 + 2), 1e16 + 0.5,
  999999999999999900000, 1.2345678901234568e20, 2 ** 60, 2 ** 69,
];

const char = fc.oneof(
  { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 4 }, // any code point
  { arbitrary: fc.constantFrom(...SPECIAL_CHARS), weight: 2 },
  { arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }), weight: 2 },
);
const text = fc.string({ unit: char, maxLength: 8 });
const key = fc.oneof({ arbitrary: text, weight: 3 }, { arbitrary: fc.constantFrom(...SPECIAL_KEYS), weight: 1 });
const number = fc.oneof(
  { arbitrary: fc.constantFrom(...ACCEPTED_NUMBERS), weight: 6 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 6 },
  { arbitrary: fc.integer({ min: -1000, max: 1000 }), weight: 4 },
  { arbitrary: fc.maxSafeInteger(), weight: 2 },
  // integral doubles on both sides of 2^53 and of 1e21: the number rule depends on their spelling
  { arbitrary: fc.tuple(fc.maxSafeInteger(), fc.integer({ min: 0, max: 20 })).map(([m, e]) => m * 2 ** e), weight: 1 },
);
const scalar = fc.oneof(
  { arbitrary: text, weight: 4 },
  { arbitrary: number, weight: 4 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
);
const { object, array } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", maxDepth: 3 }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(key, tie("value"), { maxKeys: 4 }),
}));

/** A label (id or stream) that is not blank: a first character that is no whitespace, then any. */
const label = (maxLength) =>
  fc
    .tuple(fc.constantFrom("r", "\u{1f600}", "\u200b", "\u{10ffff}", "\u0000", "\ufffe"), fc.string({ unit: char, maxLength }))
    .map(([first, rest]) => first + rest);
const validRecord = fc.record(
  {
    id: fc.oneof({ arbitrary: label(9), weight: 4 }, fc.constantFrom("r", "\u{1f600}".repeat(256))),
    stream: fc.oneof(
      { arbitrary: label(5), weight: 2 },
      fc.constantFrom("s", "orders", "nucleus", "Nucleus.x", "x\u2028", "\u{1f600}".repeat(128)),
    ),
    payload: fc.oneof(object, array),
    meta: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 3 },
      { arbitrary: object, weight: 2 },
      { arbitrary: fc.constant(null), weight: 1 },
    ),
  },
  { requiredKeys: ["id", "stream", "payload"] },
);

/** `text` with `inserted` put in at a code point boundary (so that no surrogate pair is split or made). */
function insert(text, inserted, at) {
  const points = Array.from(text);
  const i = at % (points.length + 1);
  return [...points.slice(0, i), inserted, ...points.slice(i)].join("");
}

/** A copy of `record` with `value` put `where` (payload, meta or deeper), or with `value` as a key there. */
function place(record, where, value, asKey = false) {
  const put = (container, k) => (asKey ? { ...container, [value]: k } : { ...container, [k]: value });
  const payload = record.payload;
  switch (where) {
    case "payload":
      if (!Array.isArray(payload)) return { ...record, payload: put(payload, "v") };
      return { ...record, payload: [...payload, asKey ? put({}, 1) : value] };
    case "meta":
      return { ...record, meta: put(record.meta ?? {}, "v") };
    default: {
      const deep = [[put({}, "k")]];
      return { ...record, payload: Array.isArray(payload) ? [...payload, deep] : { ...payload, n: deep } };
    }
  }
}

const WHERE = ["payload", "meta", "nested"];
const surrogate = fc.oneof(
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constant("\udc00\ud800"), // a low then a high surrogate: two lone ones, never a pair
);

/** `nest(n)` is an array n levels deep; a record holding it as its payload is n + 1 levels deep. */
export const nest = (n) => (n <= 1 ? [] : [nest(n - 1)]);

/** One fault: a function from a valid record to a broken one (refused, but a timestamp going back is only
 * refused after an accepted record with a later timestamp). */
const fault = fc.oneof(
  fc.tuple(surrogate, fc.nat(), fc.constantFrom(...WHERE, "id", "stream"), fc.boolean()).map(([s, at, where, asKey]) => (r) => {
    if (where === "id" || where === "stream") return { ...r, [where]: insert(r[where], s, at) };
    return place(r, where, insert("k", s, at), asKey);
  }),
  fc.tuple(fc.constantFrom(...REFUSED_NUMBERS), fc.constantFrom(...WHERE)).map(([n, where]) => (r) => place(r, where, n)),
  fc.constantFrom(
    (r) => ({ ...r, id: "" }),
    (r) => ({ ...r, id: WHITESPACE.join("") }),
    (r) => ({ ...r, id: "\u3000" }),
    (r) => ({ ...r, id: "\u{1f600}".repeat(257) }),
    (r) => ({ ...r, stream: "s".repeat(129) }),
    (r) => ({ ...r, stream: "nucleus.acl" }),
    (r) => ({ ...r, stream: "nucleus.x" }),
    (r) => ({ ...r, timestamp: -1 }),
    (r) => ({ ...r, timestamp: 2 ** 53 }),
    (r) => ({ ...r, timestamp: r.timestamp + 0.5 }),
    (r) => ({ ...r, timestamp: r.timestamp - 1_000_000 }), // goes back behind the previous records
    (r) => ({ ...r, extra: 1 }),
    (r) => ({ ...r, ["__proto__"]: {} }),
    (r) => ({ ...r, payload: "p" }),
    (r) => ({ ...r, payload: null }),
    (r) => ({ ...r, payload: 5 }),
    (r) => ({ ...r, meta: [] }),
    (r) => ({ ...r, meta: "m" }),
    (r) => ({ ...r, payload: nest(65) }),
  ),
);

/** A batch: 1–`maxLength` records with timestamps T0 + 0..3 ms apart, about one in three with a fault. */
export function batch(maxLength = 16) {
  const maybeFault = fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fault, weight: 1 });
  return fc
    .array(fc.tuple(validRecord, fc.nat({ max: 3 }), maybeFault), { minLength: 1, maxLength })
    .map((items) => {
      let ts = T0;
      return items.map(([record, step, broken]) => {
        ts += step;
        const stamped = { ...record, timestamp: ts };
        if (stamped.meta === undefined) delete stamped.meta;
        return broken ? broken(stamped) : stamped;
      });
    });
}

/**
 * Records at every edge the format names, each with whether it must be accepted; appended in this order
 * (the last one has the largest timestamp, so nothing may follow it).
 */
export function edgeRecords() {
  const r = (i, fields) => ({ id: `e${i}`, stream: "edges", timestamp: T0 + i, payload: {}, ...fields });
  const ok = [
    { payload: { v: ACCEPTED_NUMBERS, w: ACCEPTED_NUMBERS.map((n) => [n]) } },
    {
      id: "x\u2028\u2029\u0085",
      stream: "\u{1f600}",
      payload: { "\u2028": "\u2029", "\u0085": "\u0000\u001f\u007f\u0080\u009f" },
    },
    { payload: Object.fromEntries(SPECIAL_KEYS.map((k, i) => [k, i])) }, // UTF-16 order of keys, __proto__ a key
    { payload: { __proto__: null, ["__proto__"]: { ["__proto__"]: [] } } },
    { payload: [SPECIAL_CHARS.join(""), WHITESPACE.join("")] },
    { id: "\u200b", meta: { "\ufeff": "\ufffe" } }, // not whitespace
    { id: "\u{1f600}".repeat(256), stream: "\u{1f600}".repeat(128) }, // 256 and 128 characters: at the limits
    { meta: null }, // the same as no meta
    { payload: nest(63) }, // 64 levels
  ];
  const refused = [
    ...REFUSED_NUMBERS.map((n) => ({ payload: { v: n } })),
    ...REFUSED_NUMBERS.slice(0, 4).map((n) => ({ meta: { deep: [[{ n }]] } })),
    { id: "\ud800" },
    { stream: "s\udfff" },
    { payload: { "\ud83d": 1 } },
    { payload: ["\ude00"] },
    { meta: { k: "\udc00\ud800" } },
    { payload: { a: [{ ["x\udbff"]: 0 }] } },
    ...["", "\u001c\u001d\u001e\u001f", "\u3000", " \u2028\u0085"].map((id) => ({ id })),
    { id: "\u{1f600}".repeat(257) },
    { stream: "\u{1f600}".repeat(129) },
    { payload: nest(64) },
    { timestamp: -1 },
    { timestamp: 2 ** 53 },
  ];
  const all = [...ok.map((f) => [f, true]), ...refused.map((f) => [f, false]), [{ timestamp: 2 ** 53 - 1 }, true]];
  return all.map(([fields, accepted], i) => ({ record: r(i, fields), accepted }));
}
