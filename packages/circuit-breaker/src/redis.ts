// @bulwark/circuit-breaker/redis
export {};
