// The benchmark record, shared by the Node.js bench scripts (through bench/common.mjs) and the browser bench page.
// The same shape as bench_py.py's make_record(i): ~200 bytes canonical.

/** The first record's timestamp (ms). */
export const T0 = 1_700_000_000_000;
const STATUSES = ["new", "paid", "shipped", "delivered", "refunded"];

/** Record `i`, stamped `base + i`, in `stream`. */
export function makeRecord(i, base = T0, stream = "orders") {
  return {
    id: `order-${String(i).padStart(8, "0")}`,
    stream,
    timestamp: base + i,
    payload: {
      customer: `cust-${String(i % 997).padStart(4, "0")}`,
      amount: (i * 7919) % 100_000,
      currency: "EUR",
      status: STATUSES[i % 5],
      items: [`sku-${i % 31}`, `sku-${i % 17}`],
    },
  };
}
