// @bulwark/idempotency/hono
export {};
