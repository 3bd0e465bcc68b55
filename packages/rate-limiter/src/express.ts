// @bulwark/rate-limiter/express
export {};
