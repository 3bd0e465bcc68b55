// Public API of @bulwark/rate-limiter.
export {};
