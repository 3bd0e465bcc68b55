// @bulwark/rate-limiter/redis
export {};
