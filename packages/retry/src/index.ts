// Public API of @bulwark/retry.
export {};
