import { deserialize, serialize } from 'node:v8';

/**
 * How values travel to and from Redis. `serialize` returns a string (Redis stores it as is);
 * `deserialize` gets that string back. A serializer that throws makes that one value skip
 * Redis (the failure is reported on `bulwark:cache:store-error`), never the caller's `get`.
 */
export interface Serializer<V = unknown> {
  serialize(value: V): string;
  deserialize(text: string): V;
}

/** JSON (the default): plain objects, arrays, strings, numbers, booleans and null. */
export const jsonSerializer: Serializer<unknown> = {
  serialize: (value) => JSON.stringify(value),
  deserialize: (text) => JSON.parse(text),
};

/**
 * Node's structured clone (`node:v8`), base64 in Redis: also Buffers and typed arrays, Dates,
 * Maps, Sets, RegExps, bigints and cycles. Both ends must run Node.
 */
export const v8Serializer: Serializer<unknown> = {
  serialize: (value) => serialize(value).toString('base64'),
  deserialize: (text) => deserialize(Buffer.from(text, 'base64')),
};
