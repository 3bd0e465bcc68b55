// @bulwark/rate-limiter/http
export {};
