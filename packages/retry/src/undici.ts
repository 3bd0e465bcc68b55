// @bulwark/retry/undici
export {};
