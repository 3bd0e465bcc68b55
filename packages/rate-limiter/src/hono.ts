// @bulwark/rate-limiter/hono
export {};
