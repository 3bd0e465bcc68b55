// @bulwark/cache/redis
export {};
