// @bulwark/idempotency/redis
export {};
