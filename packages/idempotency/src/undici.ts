// @bulwark/idempotency/undici
export {};
