// @bulwark/idempotency/fastify
export {};
