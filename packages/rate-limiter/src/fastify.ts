// @bulwark/rate-limiter/fastify
export {};
