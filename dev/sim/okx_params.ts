// Request parameters of the OKX endpoints the simulator serves, validated with zod. A failure names the field the way
// OKX does: 50014 "Parameter X cannot be empty" when it is missing, 51000 "Parameter X error" when it is malformed.

import { z } from "zod";
import { emptyParameter, OkxApiError, parameterError } from "./okx_errors.ts";

const DECIMAL = /^\d+(\.\d+)?$/;

/** A positive decimal given as a string (ccxt's way) or a JSON number. */
const positiveDecimal = z
  .union([z.string().regex(DECIMAL), z.number().finite()])
  .transform(Number)
  .refine((n) => n > 0);

const integerText = z.string().regex(/^\d+$/);
const limitText = z.string().regex(/^\d+$/).transform(Number).refine((n) => n >= 1 && n <= 100);

export const INST_TYPES = ["SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"] as const;

/** OKX's rule for clOrdId: case-sensitive letters and digits, 1 to 32 characters. */
export const CL_ORD_ID = /^[A-Za-z0-9]{1,32}$/;

export const instrumentsQuery = z.object({ instType: z.enum(INST_TYPES), instId: z.string().min(1).optional() });
export const tickersQuery = z.object({ instType: z.enum(INST_TYPES) });
export const tickerQuery = z.object({ instId: z.string().min(1) });
export const booksQuery = z.object({
  instId: z.string().min(1),
  sz: z.string().regex(/^\d+$/).transform(Number).refine((n) => n >= 1 && n <= 400).optional(),
});
export const balanceQuery = z.object({ ccy: z.string().min(1).optional() });
export const currenciesQuery = z.object({ ccy: z.string().min(1).optional() });
export const tradeFeeQuery = z.object({ instType: z.enum(INST_TYPES), instId: z.string().min(1).optional() });

export const orderQuery = z.object({
  instId: z.string().min(1),
  ordId: z.string().min(1).optional(),
  clOrdId: z.string().min(1).optional(),
});

const ORDER_STATES = ["live", "partially_filled", "filled", "canceled", "mmp_canceled"] as const;

export const ordersPendingQuery = z.object({
  instType: z.enum(INST_TYPES).optional(),
  instId: z.string().min(1).optional(),
  ordType: z.string().min(1).optional(),
  state: z.enum(["live", "partially_filled"]).optional(),
  after: integerText.optional(),
  before: integerText.optional(),
  limit: limitText.optional(),
});

export const ordersHistoryQuery = z.object({
  instType: z.enum(INST_TYPES),
  instId: z.string().min(1).optional(),
  ordType: z.string().min(1).optional(),
  state: z.enum(ORDER_STATES).optional(),
  after: integerText.optional(),
  before: integerText.optional(),
  begin: integerText.transform(Number).optional(),
  end: integerText.transform(Number).optional(),
  limit: limitText.optional(),
});

/** trade/fills and trade/fills-history (where instType is required: see `requireInstType`). */
export const fillsQuery = z.object({
  instType: z.enum(INST_TYPES).optional(),
  instId: z.string().min(1).optional(),
  ordId: z.string().min(1).optional(),
  after: integerText.optional(),
  before: integerText.optional(),
  begin: integerText.transform(Number).optional(),
  end: integerText.transform(Number).optional(),
  limit: limitText.optional(),
});

/** One order of POST trade/order or trade/batch-orders. Unknown fields (reduceOnly, stpMode…) are ignored. */
export const placeOrderBody = z.object({
  instId: z.string().min(1),
  tdMode: z.literal("cash"),
  side: z.enum(["buy", "sell"]),
  ordType: z.enum(["market", "limit", "post_only", "fok", "ioc"]),
  sz: positiveDecimal,
  px: positiveDecimal.optional(),
  clOrdId: z.string().regex(CL_ORD_ID).optional(),
  tag: z.string().max(16).optional(),
  tgtCcy: z.enum(["base_ccy", "quote_ccy"]).optional(),
});

export type PlaceOrderBody = z.output<typeof placeOrderBody>;

/** One order of POST trade/cancel-order or trade/cancel-batch-orders. */
export const cancelOrderBody = z.object({
  instId: z.string().min(1),
  ordId: z.string().min(1).optional(),
  clOrdId: z.string().min(1).optional(),
});

/** The OKX error for the first problem zod found in `raw`. */
export function okxParamError(raw: Record<string, unknown>, error: z.ZodError): OkxApiError {
  const field = String(error.issues[0]?.path[0] ?? "request");
  const value = raw[field];
  return value === undefined || value === "" ? emptyParameter(field) : parameterError(field);
}

/** Parses `raw` or throws the OKX parameter error naming the field. */
export function parseParams<T extends z.ZodType>(schema: T, raw: Record<string, unknown>): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw okxParamError(raw, parsed.error);
  return parsed.data;
}

/** Query string → plain object (the last value wins for a repeated key). */
export function queryObject(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}
